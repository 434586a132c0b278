// SIGHUP reloads `tokenfab gateway`'s fleet file without dropping the streams in flight; a broken
// file is refused and the running fleet stays.
#include <signal.h>

#include <future>
#include <thread>

#include <boost/json.hpp>

#include "child_process.h"
#include "gateway/testing/fake_upstream.h"
#include "gateway/testing/test_client.h"
#include "gateway/testing/test_fleet.h"
#include "gateway_test_env.h"

namespace tokenfab::gateway_it {
namespace {

using gateway::testing::ChatBody;
using gateway::testing::ClientResult;
using gateway::testing::FakeUpstream;
using gateway::testing::TestClient;
using testing_process::ChildProcess;
using namespace std::chrono_literals;

TEST(GatewayReloadTest, SighupSwapsTheFleetAndKeepsStreams) {
  const std::filesystem::path dir = FreshDir("reload");
  auto key = PrepareLedger((dir / "ledger.sqlite").string());
  ASSERT_TRUE(key.ok()) << key.status();
  auto old_up = FakeUpstream::Start({.tokens = 40, .token_interval = 20ms, .name = "old"});
  auto new_up = FakeUpstream::Start({.tokens = 3, .name = "new"});
  ASSERT_TRUE(old_up.ok() && new_up.ok());
  const std::filesystem::path fleet = dir / "fleet.toml";
  WriteFile(fleet, gateway::testing::TestFleetToml({{.url = (*old_up)->url()}}));
  auto gw = ChildProcess::Start({TOKENFAB_BINARY, "gateway", "--fleet", fleet.string(), "--listen",
                                 "127.0.0.1:0", "--data-dir", dir.string(), "--io-threads", "1"},
                                (dir / "gateway.log").string(), true);
  ASSERT_TRUE(gw.ok()) << gw.status();
  const uint16_t port = static_cast<uint16_t>((*gw)->port());
  TestClient client;
  auto chat = [&] {
    return client.Post(port, "/v1/chat/completions", ChatBody("m", "hello", true),
                       {.api_key = *key});
  };
  auto generation = [&] {
    ClientResult r = client.Get(port, "/fleet");
    return boost::json::parse(r.body).at("generation").to_number<int>();
  };

  auto slow = std::async(std::launch::async, chat);
  while ((*old_up)->open_streams() == 0) std::this_thread::sleep_for(2ms);
  WriteFile(fleet, gateway::testing::TestFleetToml({{.url = (*new_up)->url()}}));
  (*gw)->Signal(SIGHUP);
  while (generation() != 2) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(chat().text(), "new0 new1 new2 ");
  const ClientResult before = slow.get();
  EXPECT_TRUE(before.saw_done()) << "the stream in flight finished on the old upstream";
  EXPECT_EQ(before.events.size(), 40u + 2u);  // tokens, the finish chunk, [DONE]

  // A broken file: refused, logged, the running fleet stays.
  WriteFile(fleet, "currency = \"CNY\"\n[[regions]]\nnam = \"x\"\n");
  (*gw)->Signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((*gw)->Log().find("reload refused") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_NE((*gw)->Log().find("fleet.toml:2: regions[0].name: missing (required)"), std::string::npos)
      << (*gw)->Log();
  EXPECT_EQ(generation(), 2);
  EXPECT_TRUE(chat().saw_done());
  (*gw)->Signal(SIGTERM);
  const int status = (*gw)->Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace tokenfab::gateway_it
