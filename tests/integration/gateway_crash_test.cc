// kill -9 of `tokenfab gateway` under load, on SQLite and on PostgreSQL: every answer a client
// finished (it read the final [DONE]) is in the ledger exactly once, with the usage the client
// was shown; answers cut off by the kill may or may not be there, but never twice.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"

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
using gateway::testing::SeenUsage;
using gateway::testing::TestClient;
using testing_process::ChildProcess;

constexpr int kClients = 16;
constexpr int kKillAfter = 300;  // finished answers before the kill

class GatewayCrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GatewayCrashTest, KillDashNineLosesNoFinishedAnswer) {
  const std::filesystem::path dir = FreshDir("crash");
  StatusOr<std::string> location = FreshLedger(GetParam(), dir);
  ASSERT_TRUE(location.ok()) << location.status();
  StatusOr<std::string> acme = PrepareLedger(*location);
  ASSERT_TRUE(acme.ok()) << acme.status();
  const std::string key = *acme;
  std::vector<std::unique_ptr<FakeUpstream>> upstreams;
  std::vector<gateway::testing::TestUpstream> listed;
  for (int i = 0; i < 2; ++i) {
    auto up = FakeUpstream::Start({.tokens = 12, .token_interval = std::chrono::milliseconds(1)});
    ASSERT_TRUE(up.ok()) << up.status();
    listed.push_back({.url = (*up)->url()});
    upstreams.push_back(*std::move(up));
  }
  WriteFile(dir / "fleet.toml", gateway::testing::TestFleetToml(listed));
  auto gw = ChildProcess::Start({TOKENFAB_BINARY, "gateway", "--fleet", (dir / "fleet.toml").string(),
                                 "--listen", "127.0.0.1:0", "--ledger", *location, "--io-threads",
                                 "2", "--policy", "least-load"},
                                (dir / "gateway.log").string(), /*port_from_stdout=*/true);
  ASSERT_TRUE(gw.ok()) << gw.status();
  const uint16_t port = static_cast<uint16_t>((*gw)->port());

  absl::Mutex mu;
  std::map<std::string, SeenUsage> finished;  // request id -> usage the client saw
  int64_t cut_off = 0;
  std::atomic<bool> killed{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      TestClient client;
      for (int i = 0; !killed.load(); ++i) {
        const ClientResult r =
            client.Post(port, "/v1/chat/completions",
                        ChatBody("m", fmt::format("client {} request {} says hello", c, i), true,
                                 /*include_usage=*/true),
                        {.api_key = key});
        absl::MutexLock lock(&mu);
        if (r.saw_done() && r.usage()) {
          finished[r.header("x-request-id")] = *r.usage();
        } else {
          ++cut_off;
        }
      }
    });
  }
  while (true) {
    {
      absl::MutexLock lock(&mu);
      if (finished.size() >= kKillAfter) break;
    }
    ASSERT_TRUE((*gw)->running()) << (*gw)->Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  killed.store(true);  // no new requests; those in flight meet the kill
  (*gw)->Signal(SIGKILL);
  const int status = (*gw)->Wait();
  for (std::thread& t : clients) t.join();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto store = ledger::OpenStore(*location);
  ASSERT_TRUE(store.ok()) << store.status();
  for (const auto& [id, seen] : finished) {
    auto e = (*store)->GetUsage(id);
    ASSERT_TRUE(e.ok()) << "finished answer " << id << " is not in the ledger: " << e.status();
    EXPECT_EQ(e->prompt_tokens, seen.prompt_tokens) << id;
    EXPECT_EQ(e->completion_tokens, seen.completion_tokens) << id;
    EXPECT_EQ(e->status, "ok");
  }
  // Each request id once (the primary key), and nothing the clients never asked for.
  auto rows = (*store)->QueryUsage({});
  ASSERT_TRUE(rows.ok());
  const int64_t recorded = rows->empty() ? 0 : (*rows)[0].requests;
  EXPECT_GE(recorded, static_cast<int64_t>(finished.size()));
  EXPECT_LE(recorded, static_cast<int64_t>(finished.size()) + cut_off);
  RecordProperty("finished", static_cast<int>(finished.size()));
  RecordProperty("cut_off", static_cast<int>(cut_off));
  RecordProperty("recorded", static_cast<int>(recorded));
  EXPECT_GT(cut_off, 0) << "the kill came when no answer was in flight: nothing was tested";
}

INSTANTIATE_TEST_SUITE_P(Stores, GatewayCrashTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace tokenfab::gateway_it
