// TLS end to end: `tokenfab gateway` serving HTTPS and relaying to a `tokenfab node` over HTTPS
// with mutual TLS (the node only serves gateways with a client certificate from the test CA);
// a gateway that does not trust the node's CA refuses it, says so in its log and serves nothing;
// `tokenfab node --drain` reaches an https node given its CA.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "child_process.h"
#include "gateway/testing/test_client.h"
#include "gateway/testing/test_fleet.h"
#include "gateway_test_env.h"
#include "net/test_certificates.h"
#include "tokenfab/net/http_client.h"

namespace tokenfab::gateway_it {
namespace {

using testing_process::ChildProcess;
using namespace std::chrono_literals;

constexpr const char* kModel = "tokenfab-demo";

class GatewayTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir("tls");
    auto certs = net::testing::TestCertificates::Make();
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = std::make_unique<net::testing::TestCertificates>(*std::move(certs));
    auto key = PrepareLedger((dir_ / "ledger.sqlite").string());
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *key;
    // The node: HTTPS, and only for clients with a certificate from the test CA.
    auto node = ChildProcess::Start(NodeArgv({"--tls-client-ca", certs_->ca}),
                                    (dir_ / "node.log").string(), /*port_from_stdout=*/true);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = *std::move(node);
    WriteFile(dir_ / "fleet.toml", gateway::testing::TestFleetToml(
                                       {{.url = fmt::format("https://127.0.0.1:{}", node_->port()),
                                         .models = fmt::format("\"{}\"", kModel)}}));
  }

  // `tokenfab node` on the synthetic engine serving HTTPS with the test certificate, and `extra`.
  std::vector<std::string> NodeArgv(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv = {TOKENFAB_BINARY,
                                     "node",
                                     "--engine",
                                     "synthetic",
                                     "--vocab",
                                     "llama3",
                                     "--served-model-name",
                                     kModel,
                                     "--port",
                                     "0",
                                     "--io-threads",
                                     "1",
                                     "--synthetic-ttft-ms",
                                     "5",
                                     "--synthetic-tpot-ms",
                                     "1",
                                     "--tls-cert",
                                     certs_->server,
                                     "--tls-key",
                                     certs_->key};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  std::unique_ptr<ChildProcess> StartGateway(const std::string& name,
                                             std::vector<std::string> tls_flags) {
    std::vector<std::string> argv = {TOKENFAB_BINARY, "gateway",
                                     "--fleet",       (dir_ / "fleet.toml").string(),
                                     "--listen",      "127.0.0.1:0",
                                     "--data-dir",    dir_.string(),
                                     "--io-threads",  "1"};
    argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
    auto gw = ChildProcess::Start(argv, (dir_ / (name + ".log")).string(), true);
    EXPECT_TRUE(gw.ok()) << gw.status();
    return gw.ok() ? *std::move(gw) : nullptr;
  }

  // A streamed chat completion through the gateway at `port`, over https (trusting the test
  // CA): the status and the events' data.
  std::pair<int, std::vector<std::string>> Chat(uint16_t port) {
    net::HttpClientOptions options;
    options.tls.ca_file = certs_->ca;
    net::HttpClient client(pool_, options);
    net::ClientRequest request;
    request.method = "POST";
    request.url = *net::ParseHttpUrl(fmt::format("https://127.0.0.1:{}/v1/chat/completions", port));
    request.headers.Add("Authorization", "Bearer " + key_);
    request.headers.Add("Content-Type", "application/json");
    request.body = gateway::testing::ChatBody(kModel, "hello over tls", true, false, 8);
    int status = 0;
    std::vector<std::string> events;
    std::promise<Status> done;
    client.Stream(std::move(request),
                  net::SseCallbacks([&status](int s, const net::HttpHeaders&) { status = s; },
                                    [&events](net::SseEvent&& e) { events.push_back(e.data); },
                                    [&done](Status s) { done.set_value(std::move(s)); }));
    auto future = done.get_future();
    if (future.wait_for(20s) != std::future_status::ready) return {-1, {}};
    if (Status s = future.get(); !s.ok()) return {-2, {}};
    return {status, events};
  }

  // Chats until one answers 200 (the gateway's first polls make the upstream healthy).
  std::pair<int, std::vector<std::string>> ChatWhenReady(uint16_t port) {
    std::pair<int, std::vector<std::string>> result;
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    do {
      result = Chat(port);
      if (result.first == 200) break;
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return result;
  }

  std::filesystem::path dir_;
  std::unique_ptr<net::testing::TestCertificates> certs_;
  std::string key_;
  std::unique_ptr<ChildProcess> node_;
  net::IoContextPool pool_{1};
};

TEST_F(GatewayTlsTest, GatewayServesHttpsAndRelaysToANodeOverMutualTls) {
  auto gw = StartGateway(
      "gateway", {"--tls-cert", certs_->server, "--tls-key", certs_->key, "--tls-ca", certs_->ca,
                  "--tls-upstream-cert", certs_->client, "--tls-upstream-key", certs_->client_key});
  ASSERT_NE(gw, nullptr);
  const auto [status, events] = ChatWhenReady(static_cast<uint16_t>(gw->port()));
  EXPECT_EQ(status, 200) << gw->Log() << node_->Log();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");

  // curl, as any client would, over https with the test CA.
  const std::string curl = fmt::format(
      "curl -sS --cacert {} -H 'Authorization: Bearer {}' https://localhost:{}/v1/models",
      certs_->ca, key_, gw->port());
  std::FILE* pipe = ::popen(curl.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  EXPECT_EQ(::pclose(pipe), 0) << out;
  EXPECT_NE(out.find(kModel), std::string::npos) << out;
  gw->Signal(SIGTERM);
  EXPECT_EQ(gw->Wait(), 0);
}

TEST_F(GatewayTlsTest, AnUpstreamWithAnUntrustedCertificateIsRefusedAndLogged) {
  // The gateway trusts another CA: the node's certificate fails verification.
  auto gw = StartGateway("untrusting", {"--tls-ca", certs_->other_ca, "--tls-upstream-cert",
                                        certs_->client, "--tls-upstream-key", certs_->client_key});
  ASSERT_NE(gw, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (gw->Log().find("TLS certificate refused") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  // The node sends its chain up to the test CA, which this gateway does not trust.
  EXPECT_NE(gw->Log().find("TLS certificate refused: self-signed certificate in certificate chain"),
            std::string::npos)
      << gw->Log();
  gateway::testing::TestClient client;
  const gateway::testing::ClientResult r =
      client.Post(static_cast<uint16_t>(gw->port()), "/v1/chat/completions",
                  gateway::testing::ChatBody(kModel, "hi", false), {.api_key = key_});
  EXPECT_GE(r.status, 500) << r.body;
}

// `tokenfab node --drain` against a node serving https, run with the node's own flags (as a
// unit's ExecStop or a pod's preStop is): without a CA the node's certificate is refused (exit 1)
// and the node keeps serving; with --tls-ca naming the test CA it drains (exit 0, the node exits
// 0).
TEST_F(GatewayTlsTest, NodeDrainCommandReachesAnHttpsNodeWithTheCaItIsGiven) {
  auto node = ChildProcess::Start(NodeArgv({}), (dir_ / "https-node.log").string(), true);
  ASSERT_TRUE(node.ok()) << node.status();
  auto drain = [&](const std::vector<std::string>& extra, const std::string& log) {
    std::vector<std::string> argv = {TOKENFAB_BINARY,
                                     "node",
                                     "--drain",
                                     "--port",
                                     std::to_string((*node)->port()),
                                     "--tls-cert",
                                     certs_->server,
                                     "--tls-key",
                                     certs_->key,
                                     "--drain-timeout-s",
                                     "20"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = ChildProcess::Start(argv, (dir_ / log).string(), false);
    EXPECT_TRUE(child.ok()) << child.status();
    return child.ok() ? *std::move(child) : nullptr;
  };
  std::unique_ptr<ChildProcess> untrusting = drain({}, "drain-untrusting.log");
  ASSERT_NE(untrusting, nullptr);
  const int refused = untrusting->Wait(20s);
  EXPECT_TRUE(WIFEXITED(refused) && WEXITSTATUS(refused) == 1) << untrusting->Log();

  std::unique_ptr<ChildProcess> trusting = drain({"--tls-ca", certs_->ca}, "drain.log");
  ASSERT_NE(trusting, nullptr);
  const int drained = trusting->Wait(20s);
  EXPECT_TRUE(WIFEXITED(drained) && WEXITSTATUS(drained) == 0) << trusting->Log() << (*node)->Log();
  const int node_status = (*node)->Wait(20s);
  EXPECT_TRUE(WIFEXITED(node_status) && WEXITSTATUS(node_status) == 0) << (*node)->Log();
}

}  // namespace
}  // namespace tokenfab::gateway_it
