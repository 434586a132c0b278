// kill -9 in the middle of group commits: a child process records usage events as fast as it
// can and reports each event's request number on a pipe from the event's commit callback (the
// moment a gateway would send the response's last chunk). The parent SIGKILLs the child
// mid-stream and then checks, on SQLite and on PostgreSQL, that:
//   - every acknowledged event is in the ledger, exactly once, intact;
//   - unacknowledged events are absent or present once (never half-written);
//   - clients retrying everything afterwards leave each request recorded exactly once, and the
//     ledger's token totals equal what the clients were served, token for token.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ledger_integration_env.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/usage_recorder.h"

namespace tokenfab::ledger {
namespace {

constexpr int kEvents = 30'000;
constexpr int kKillAfterAcks = 300;

UsageEvent EventNumber(int32_t i) {
  UsageEvent e;
  e.request_id = fmt::format("crash-{:06}", i);
  e.tenant = i % 3 == 0 ? "acme" : "beta";
  e.key_id = "KEY000000001";
  e.model = "llama3-8b";
  e.region = "eu-west";
  e.prompt_tokens = 100 + i % 17;
  e.cached_tokens = i % 5;
  e.completion_tokens = 1 + i % 41;
  e.cost = 10 + i % 7;
  e.finished_micros = 1'700'000'000'000'000 + i;
  return e;
}

// The child: records every event from 4 threads and writes each acknowledged number to `fd`.
[[noreturn]] void RunChild(const std::string& location, int fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  StatusOr<std::unique_ptr<Store>> store = OpenStore(location);
  if (!store.ok()) _exit(3);
  {
    UsageRecorder recorder(**store, base::RealClock::Get(), {.max_batch = 64});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int32_t i = t; i < kEvents; i += 4) {
          Status s = recorder.Record(EventNumber(i), [fd, i](StatusOr<InsertOutcome> outcome) {
            if (!outcome.ok()) return;
            // 4-byte writes to a pipe are atomic.
            if (write(fd, &i, sizeof(i)) != sizeof(i)) _exit(4);
          });
          if (!s.ok()) _exit(5);
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }
  _exit(0);
}

class CrashTest : public testing::TestWithParam<std::string> {
 protected:
  StatusOr<std::string> FreshLocation() {
    if (GetParam() == "postgresql") return Servers().postgres->CreateDatabase();
    const std::filesystem::path dir =
        std::filesystem::path(testing::TempDir()) / fmt::format("crash-{}", getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return (dir / "ledger.sqlite").string();
  }
};

TEST_P(CrashTest, KillDashNineLosesNoAcknowledgedEvent) {
  StatusOr<std::string> location = FreshLocation();
  ASSERT_TRUE(location.ok()) << location.status();
  ASSERT_TRUE(OpenStore(*location).ok());  // migrate before the race starts

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    RunChild(*location, fds[1]);
  }
  close(fds[1]);
  std::set<int32_t> acknowledged;
  int32_t number;
  bool killed = false;
  while (read(fds[0], &number, sizeof(number)) == sizeof(number)) {
    acknowledged.insert(number);
    if (!killed && acknowledged.size() >= kKillAfterAcks) {
      ASSERT_EQ(kill(child, SIGKILL), 0);
      killed = true;
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(killed) << "the child stopped before " << kKillAfterAcks << " acknowledgements";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  if (GetParam() == "postgresql") {
    // The child's backends may still be committing its last group: count after they are gone.
    ASSERT_TRUE(testing_servers::PostgresServer::WaitForOtherSessionsToEnd(*location).ok());
  }

  StatusOr<std::unique_ptr<Store>> store = OpenStore(*location);
  ASSERT_TRUE(store.ok()) << store.status();
  for (int32_t i : acknowledged) {
    StatusOr<UsageEvent> e = (*store)->GetUsage(EventNumber(i).request_id);
    ASSERT_TRUE(e.ok()) << "acknowledged event " << i << " lost: " << e.status();
    UsageEvent expected = EventNumber(i);
    expected.recorded_micros = e->recorded_micros;
    ASSERT_EQ(*e, expected);
  }
  StatusOr<std::vector<UsageRow>> rows = (*store)->QueryUsage({});
  ASSERT_TRUE(rows.ok());
  const int64_t recorded = rows->empty() ? 0 : (*rows)[0].requests;
  EXPECT_GE(recorded, static_cast<int64_t>(acknowledged.size()));
  EXPECT_LT(recorded, kEvents) << "the kill came after everything was written";
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("recorded_at_kill", static_cast<int>(recorded));

  // Clients retry every request: the ledger ends with each exactly once.
  UsageRecorder recorder(**store, base::RealClock::Get());
  std::vector<std::future<StatusOr<InsertOutcome>>> futures;
  for (int32_t i = 0; i < kEvents; ++i) futures.push_back(recorder.Record(EventNumber(i)));
  int64_t inserted = 0, duplicates = 0;
  for (auto& f : futures) {
    StatusOr<InsertOutcome> outcome = f.get();
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    (*outcome == InsertOutcome::kInserted ? inserted : duplicates)++;
  }
  EXPECT_EQ(duplicates, recorded);
  EXPECT_EQ(inserted, kEvents - recorded);

  int64_t prompt = 0, cached = 0, completion = 0;
  for (int32_t i = 0; i < kEvents; ++i) {
    const UsageEvent e = EventNumber(i);
    prompt += e.prompt_tokens;
    cached += e.cached_tokens;
    completion += e.completion_tokens;
  }
  rows = (*store)->QueryUsage({});
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].requests, kEvents);
  EXPECT_EQ((*rows)[0].prompt_tokens, prompt);
  EXPECT_EQ((*rows)[0].cached_tokens, cached);
  EXPECT_EQ((*rows)[0].completion_tokens, completion);
}

INSTANTIATE_TEST_SUITE_P(Stores, CrashTest, testing::Values("sqlite", "postgresql"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace tokenfab::ledger
