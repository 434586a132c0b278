#include "tokenfab/net/http_client.h"

#include <future>
#include <string>

#include <gtest/gtest.h>

#include "test_util.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/http_server.h"

namespace tokenfab::net {
namespace {

using testing::EventThread;
using testing::RawListener;
using namespace std::chrono_literals;

// A body of `size` bytes whose content depends on the position, to catch reordering.
std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.pool = &server_pool_;
    options.idle_timeout = 10s;
    Router router;
    router.Handle("GET", "/hello", [](std::shared_ptr<HttpExchange> exchange) {
      (void)exchange->Respond(HttpResponse::Text(200, "hello"));
    });
    router.Handle("POST", "/echo", [](std::shared_ptr<HttpExchange> exchange) {
      HttpResponse response = HttpResponse::Text(201, exchange->request().body);
      if (auto auth = exchange->request().headers.Get("Authorization")) {
        response.headers.Add("X-Auth", std::string(*auth));
      }
      (void)exchange->Respond(std::move(response));
    });
    router.Handle("GET", "/big", [](std::shared_ptr<HttpExchange> exchange) {
      (void)exchange->Respond(HttpResponse::Text(200, Pattern(5 << 20)));
    });
    router.Handle("GET", "/hang", [this](std::shared_ptr<HttpExchange> exchange) {
      exchange->cancellation().Subscribe(
          [this](CancelReason reason) { upstream_reason_.set_value(reason); });
      held_ = exchange;
      started_.set_value();
    });
    router.Handle("GET", "/trickle", [this](std::shared_ptr<HttpExchange> exchange) {
      // One piece of body, then silence.
      (void)exchange->StartStream(200, {});
      (void)exchange->Write("first");
      held_ = exchange;
    });
    router.Handle("GET", "/stream", [this](std::shared_ptr<HttpExchange> exchange) {
      // Streams 64 pieces of 16 KiB from another thread, then tells the test it has finished.
      (void)exchange->StartStream(200, {{"Content-Type", "application/octet-stream"}});
      events_.Run([this, exchange] {
        const std::string body = Pattern(64 << 14);
        for (size_t offset = 0; offset < body.size(); offset += 16 << 10) {
          (void)exchange->Write(std::string_view(body).substr(offset, 16 << 10));
        }
        (void)exchange->Finish();
        stream_written_.set_value();
      });
    });
    auto server = HttpServer::Start(options, std::move(router));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  void TearDown() override {
    server_->Stop();
    held_.reset();
  }

  ClientRequest Request(std::string_view method, std::string_view path) {
    ClientRequest request;
    request.method = std::string(method);
    request.url.host = "127.0.0.1";
    request.url.port = server_->port();
    request.url.target = std::string(path);
    return request;
  }

  IoContextPool server_pool_{2};
  IoContextPool client_pool_{2};
  EventThread events_;
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<HttpExchange> held_;
  std::promise<void> started_;
  std::promise<void> stream_written_;
  std::promise<CancelReason> upstream_reason_;
};

TEST_F(HttpClientTest, FetchesAndReusesConnections) {
  HttpClient client(client_pool_);
  for (int i = 0; i < 10; ++i) {
    ClientRequest request = Request("POST", "/echo");
    request.body = "payload " + std::to_string(i);
    request.headers.Add("Authorization", "Bearer secret");
    request.loop = 0;  // one loop: one idle pool to reuse from
    auto response = client.FetchBlocking(std::move(request));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 201);
    EXPECT_EQ(response->body, "payload " + std::to_string(i));
    EXPECT_EQ(response->headers.Get("X-Auth"), "Bearer secret");
  }
  EXPECT_EQ(client.stats().connections_opened, 1);
  EXPECT_EQ(client.stats().connections_reused, 9);
  EXPECT_EQ(server_->stats().connections_accepted, 1);
}

TEST_F(HttpClientTest, FetchesLargeBodies) {
  HttpClient client(client_pool_);
  auto response = client.FetchBlocking(Request("GET", "/big"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, Pattern(5 << 20));
}

TEST_F(HttpClientTest, BodyLimitOfFetch) {
  HttpClientOptions options;
  options.max_response_body_bytes = 1 << 20;
  HttpClient client(client_pool_, options);
  auto response = client.FetchBlocking(Request("GET", "/big"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(HttpClientTest, ReconnectsAfterTheServerClosedAnIdleConnection) {
  HttpClient client(client_pool_);
  ClientRequest request = Request("GET", "/hello");
  request.loop = 1;
  ASSERT_TRUE(client.FetchBlocking(request).ok());
  server_->Stop();  // closes the idle connection the client keeps
  HttpServerOptions options;
  options.port = server_->port();
  options.pool = &server_pool_;
  Router router;
  router.Handle("GET", "/hello", [](std::shared_ptr<HttpExchange> exchange) {
    (void)exchange->Respond(HttpResponse::Text(200, "again"));
  });
  auto restarted = HttpServer::Start(options, std::move(router));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  server_ = std::move(restarted).value();
  auto response = client.FetchBlocking(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "again");
  EXPECT_EQ(client.stats().connections_opened, 2);
}

TEST_F(HttpClientTest, RetriesOnceWhenAReusedConnectionTurnsOutDead) {
  // A server that answers one request with keep-alive and then resets the connection at the
  // moment the next request arrives, so the idle check passes but the reuse fails.
  std::promise<void> second_request;
  RawListener listener([&](int fd) {
    RawListener::ReadHead(fd);
    RawListener::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    RawListener::ReadHead(fd);
    second_request.set_value();
  });
  // The retry goes to a new connection: a second listener is not possible on the same port, so
  // the retry finds the port closed and fails as Unavailable, having retried once.
  HttpClient client(client_pool_);
  ClientRequest request = Request("GET", "/");
  request.url.port = listener.port();
  request.loop = 0;
  auto first = client.FetchBlocking(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->body, "ok");
  auto second = client.FetchBlocking(request);
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(client.stats().connections_reused, 1);
  EXPECT_EQ(client.stats().retries, 1);
}

TEST_F(HttpClientTest, ConnectionRefusedIsUnavailable) {
  uint16_t closed_port;
  {
    RawListener listener([](int) {});
    closed_port = listener.port();
  }
  HttpClient client(client_pool_);
  ClientRequest request = Request("GET", "/");
  request.url.port = closed_port;
  auto response = client.FetchBlocking(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
}

TEST_F(HttpClientTest, UnresolvableHostIsUnavailable) {
  HttpClient client(client_pool_);
  ClientRequest request = Request("GET", "/");
  request.url.host = "no-such-host.invalid";
  auto response = client.FetchBlocking(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
}

TEST_F(HttpClientTest, MalformedAndTruncatedResponsesAreDataLoss) {
  HttpClient client(client_pool_);
  {
    RawListener listener([](int fd) {
      RawListener::ReadHead(fd);
      RawListener::WriteAll(fd, "HTTP/1.1 2x0 Nope\r\n\r\n");
    });
    ClientRequest request = Request("GET", "/");
    request.url.port = listener.port();
    auto response = client.FetchBlocking(request);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kDataLoss) << response.status();
  }
  {
    RawListener listener([](int fd) {
      RawListener::ReadHead(fd);
      RawListener::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
    });
    ClientRequest request = Request("GET", "/");
    request.url.port = listener.port();
    auto response = client.FetchBlocking(request);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kDataLoss) << response.status();
  }
}

TEST_F(HttpClientTest, ReadsBodiesDelimitedByCloseAndChunkedWithTrailers) {
  HttpClient client(client_pool_);
  {
    RawListener listener([](int fd) {
      RawListener::ReadHead(fd);
      RawListener::WriteAll(fd,
                            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close");
    });
    ClientRequest request = Request("GET", "/");
    request.url.port = listener.port();
    auto response = client.FetchBlocking(request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, "body until close");
  }
  {
    RawListener listener([](int fd) {
      RawListener::ReadHead(fd);
      RawListener::WriteAll(fd,
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n");
    });
    ClientRequest request = Request("GET", "/");
    request.url.port = listener.port();
    auto response = client.FetchBlocking(request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, "hello, world");
  }
}

TEST_F(HttpClientTest, ResponseTimeoutIsDeadlineExceededAndClosesUpstream) {
  HttpClientOptions options;
  options.response_timeout = 100ms;
  HttpClient client(client_pool_, options);
  auto response = client.FetchBlocking(Request("GET", "/hang"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  auto reason = upstream_reason_.get_future();
  ASSERT_EQ(reason.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(reason.get(), CancelReason::kClientDisconnected);
}

TEST_F(HttpClientTest, SilentBodyHitsTheIdleAndTotalTimeouts) {
  for (const bool idle : {true, false}) {
    HttpClientOptions options;
    (idle ? options.read_idle_timeout : options.total_timeout) = 150ms;
    HttpClient client(client_pool_, options);
    std::string received;
    std::promise<Status> done;
    StreamCallbacks callbacks;
    callbacks.on_data = [&](std::string_view data) { received.append(data); };
    callbacks.on_done = [&](Status status) { done.set_value(status); };
    client.Stream(Request("GET", "/trickle"), callbacks);
    auto status = done.get_future();
    ASSERT_EQ(status.wait_for(10s), std::future_status::ready);
    const Status result = status.get();
    EXPECT_EQ(result.code(), absl::StatusCode::kDeadlineExceeded) << result;
    EXPECT_NE(std::string(result.message()).find(idle ? "idle" : "took over"), std::string::npos)
        << result;
    EXPECT_EQ(received, "first");
    held_.reset();
  }
}

TEST_F(HttpClientTest, CancelClosesTheUpstreamRequest) {
  HttpClient client(client_pool_);
  std::promise<Status> done;
  auto call = client.Fetch(Request("GET", "/hang"), [&](StatusOr<HttpResponse> response) {
    done.set_value(response.status());
  });
  ASSERT_EQ(started_.get_future().wait_for(10s), std::future_status::ready);
  call->Cancel();
  auto status = done.get_future();
  ASSERT_EQ(status.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(status.get().code(), absl::StatusCode::kCancelled);
  auto reason = upstream_reason_.get_future();
  ASSERT_EQ(reason.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(reason.get(), CancelReason::kClientDisconnected);
  EXPECT_TRUE(call->done());
}

TEST_F(HttpClientTest, CancellationTokenOfTheRequestCancelsTheCall) {
  HttpClient client(client_pool_);
  CancellationSource source;
  ClientRequest request = Request("GET", "/hang");
  request.cancellation = source.token();
  std::promise<Status> done;
  client.Fetch(request,
               [&](StatusOr<HttpResponse> response) { done.set_value(response.status()); });
  ASSERT_EQ(started_.get_future().wait_for(10s), std::future_status::ready);
  source.Cancel(CancelReason::kClientDisconnected);
  auto status = done.get_future();
  ASSERT_EQ(status.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(status.get().code(), absl::StatusCode::kCancelled);
}

TEST_F(HttpClientTest, PausedCallReadsNothingUntilResumed) {
  HttpClient client(client_pool_);
  std::atomic<size_t> received{0};
  std::string body;
  std::promise<Status> done;
  std::shared_ptr<ClientCall> call;
  std::promise<void> call_ready;
  std::shared_future<void> ready = call_ready.get_future().share();
  std::promise<void> paused;
  StreamCallbacks callbacks;
  callbacks.on_head = [&](int status, const HttpHeaders&) {
    ready.wait();
    call->Pause();  // before any body is read
    paused.set_value();
  };
  callbacks.on_data = [&](std::string_view data) {
    received += data.size();
    body.append(data);
  };
  callbacks.on_done = [&](Status status) { done.set_value(status); };
  call = client.Stream(Request("GET", "/stream"), callbacks);
  call_ready.set_value();
  ASSERT_EQ(paused.get_future().wait_for(10s), std::future_status::ready);
  // The server writes everything it has into its buffer; the client has read nothing.
  ASSERT_EQ(stream_written_.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(received.load(), 0u);
  call->Resume();
  auto status = done.get_future();
  ASSERT_EQ(status.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(status.get().ok());
  EXPECT_EQ(body, Pattern(64 << 14));
}

}  // namespace
}  // namespace tokenfab::net
