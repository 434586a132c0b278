// HTTPS: the server with a certificate (and optionally requiring client certificates), the
// client verifying chain and host name; certificates made at test time.
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_certificates.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/http_server.h"

namespace tokenfab::net {
namespace {

using testing::TestCertificates;
using namespace std::chrono_literals;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StatusOr<TestCertificates> made = TestCertificates::Make();
    ASSERT_TRUE(made.ok()) << made.status();
    certs_ = new TestCertificates(*std::move(made));
  }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  // Starts an HTTPS server with `cert` (the shared key), optionally requiring client
  // certificates from `client_ca`.
  std::unique_ptr<HttpServer> StartServer(const std::string& cert,
                                          const std::string& client_ca = "") {
    HttpServerOptions options;
    options.pool = &server_pool_;
    options.tls.cert_file = cert;
    options.tls.key_file = certs_->key;
    options.tls.client_ca_file = client_ca;
    Router router;
    router.Handle("GET", "/hello", [this](std::shared_ptr<HttpExchange> exchange) {
      ++handled_;
      HttpResponse response = HttpResponse::Text(200, "hello over tls");
      response.headers.Set("X-Peer", exchange->request().tls_peer);
      (void)exchange->Respond(std::move(response));
    });
    router.Handle("GET", "/events", [](std::shared_ptr<HttpExchange> exchange) {
      (void)exchange->StartSse();
      for (int i = 0; i < 5; ++i) (void)exchange->WriteSseData("event " + std::to_string(i));
      (void)exchange->WriteSseData("[DONE]");
      (void)exchange->Finish();
    });
    StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, std::move(router));
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  ClientRequest Get(const HttpServer& server, std::string_view path,
                    std::string_view host = "127.0.0.1") {
    ClientRequest request;
    request.url = *ParseHttpUrl(fmt::format("https://{}:{}{}", host, server.port(), path));
    return request;
  }

  static HttpClientOptions TrustingTestCa() {
    HttpClientOptions options;
    options.tls.ca_file = certs_->ca;
    return options;
  }

  static TestCertificates* certs_;
  IoContextPool server_pool_{2};
  IoContextPool client_pool_{1};
  std::atomic<int> handled_{0};
};

TestCertificates* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, RoundTripOverHttpsReusesTheConnection) {
  auto server = StartServer(certs_->server);
  ASSERT_NE(server, nullptr);
  HttpClient client(client_pool_, TrustingTestCa());
  ASSERT_TRUE(client.tls_status().ok()) << client.tls_status();
  for (int i = 0; i < 2; ++i) {
    StatusOr<HttpResponse> response = client.FetchBlocking(Get(*server, "/hello"));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello over tls");
    EXPECT_EQ(response->headers.Get("X-Peer"), "");  // no client certificate
  }
  EXPECT_EQ(client.stats().connections_opened, 1);
  EXPECT_EQ(client.stats().connections_reused, 1);
  // The name in the certificate works as well as its IP address.
  StatusOr<HttpResponse> by_name = client.FetchBlocking(Get(*server, "/hello", "localhost"));
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->status, 200);
}

TEST_F(TlsTest, StreamsServerSentEventsOverHttps) {
  auto server = StartServer(certs_->server);
  ASSERT_NE(server, nullptr);
  HttpClient client(client_pool_, TrustingTestCa());
  std::vector<std::string> events;
  std::promise<Status> done;
  client.Stream(Get(*server, "/events"),
                SseCallbacks([](int, const HttpHeaders&) {},
                             [&events](SseEvent&& event) { events.push_back(event.data); },
                             [&done](Status status) { done.set_value(std::move(status)); }));
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get().ok());
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0], "event 0");
  EXPECT_EQ(events[5], "[DONE]");
}

// Each bad certificate is refused by the client with the reason, and no request reaches the
// server (no plaintext fallback).
void ExpectRefused(HttpClient& client, ClientRequest request, std::string_view reason) {
  StatusOr<HttpResponse> response = client.FetchBlocking(std::move(request));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(response.status().message()).find(reason), std::string::npos)
      << response.status();
}

TEST_F(TlsTest, RefusesAnExpiredCertificate) {
  auto server = StartServer(certs_->expired);
  HttpClient client(client_pool_, TrustingTestCa());
  ExpectRefused(client, Get(*server, "/hello"), "certificate has expired");
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsTest, RefusesASelfSignedCertificate) {
  auto server = StartServer(certs_->self_signed);
  HttpClient client(client_pool_, TrustingTestCa());
  ExpectRefused(client, Get(*server, "/hello"), "self-signed certificate");
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsTest, RefusesACertificateForAnotherHost) {
  auto server = StartServer(certs_->wrong_host);
  HttpClient client(client_pool_, TrustingTestCa());
  ExpectRefused(client, Get(*server, "/hello"), "mismatch");
  ExpectRefused(client, Get(*server, "/hello", "localhost"), "mismatch");
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsTest, RefusesAServerFromAnUntrustedCa) {
  auto server = StartServer(certs_->server);
  HttpClientOptions options;
  options.tls.ca_file = certs_->other_ca;
  HttpClient client(client_pool_, options);
  ExpectRefused(client, Get(*server, "/hello"), "unable to get local issuer certificate");
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsTest, HttpsUrlOfAPlainServerFails) {
  HttpServerOptions options;
  options.pool = &server_pool_;
  Router router;
  router.Handle("GET", "/hello", [this](std::shared_ptr<HttpExchange> exchange) {
    ++handled_;
    (void)exchange->Respond(HttpResponse::Text(200, "plain"));
  });
  auto server = *HttpServer::Start(options, std::move(router));
  HttpClient client(client_pool_, TrustingTestCa());
  StatusOr<HttpResponse> response = client.FetchBlocking(Get(*server, "/hello"));
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  auto server = StartServer(certs_->server, certs_->ca);
  HttpClient client(client_pool_, TrustingTestCa());
  StatusOr<HttpResponse> response = client.FetchBlocking(Get(*server, "/hello"));
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsTest, MutualTlsServesAClientWithAGoodCertificateAndNamesIt) {
  auto server = StartServer(certs_->server, certs_->ca);
  HttpClientOptions options = TrustingTestCa();
  options.tls.cert_file = certs_->client;
  options.tls.key_file = certs_->client_key;
  HttpClient client(client_pool_, options);
  StatusOr<HttpResponse> response = client.FetchBlocking(Get(*server, "/hello"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.Get("X-Peer"), "gateway-a");
}

TEST_F(TlsTest, MutualTlsRefusesAClientCertificateFromAnotherCa) {
  auto server = StartServer(certs_->server, certs_->other_ca);
  HttpClientOptions options = TrustingTestCa();
  options.tls.cert_file = certs_->client;
  options.tls.key_file = certs_->client_key;
  HttpClient client(client_pool_, options);
  EXPECT_FALSE(client.FetchBlocking(Get(*server, "/hello")).ok());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsTest, ReloadTakesTheNewCertificateForNewConnections) {
  const std::string live = certs_->dir + "/live.pem";
  ASSERT_TRUE(testing::CopyFile(certs_->expired, live).ok());
  auto server = StartServer(live);
  HttpClient client(client_pool_, TrustingTestCa());
  ExpectRefused(client, Get(*server, "/hello"), "certificate has expired");
  ASSERT_TRUE(testing::CopyFile(certs_->server, live).ok());
  ASSERT_TRUE(server->ReloadTls().ok());
  StatusOr<HttpResponse> response = client.FetchBlocking(Get(*server, "/hello"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
}

TEST_F(TlsTest, BadFilesAreClearErrors) {
  HttpServerOptions options;
  options.pool = &server_pool_;
  options.tls.cert_file = certs_->dir + "/missing.pem";
  options.tls.key_file = certs_->key;
  StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, Router());
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("missing.pem"), std::string_view::npos);
  options.tls.cert_file = certs_->server;
  options.tls.key_file = certs_->client_key;  // not this certificate's key
  EXPECT_FALSE(HttpServer::Start(options, Router()).ok());

  HttpClientOptions client_options;
  client_options.tls.ca_file = certs_->dir + "/no-ca.pem";
  HttpClient client(client_pool_, client_options);
  EXPECT_FALSE(client.tls_status().ok());
  EXPECT_NE(client.tls_status().message().find("no-ca.pem"), std::string_view::npos);
}

}  // namespace
}  // namespace tokenfab::net
