// A PostgreSQL that hangs rather than fails (its server processes stopped with SIGSTOP, so the
// connection stays open and nothing answers): the usage recorder's write deadline spools the
// batch and the answer goes out; once the server runs again the hung write completes late and the
// spool's replay writes the same events again, and the ledger holds each once.
#include <libpq-fe.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ledger_integration_env.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/usage_recorder.h"
#include "tokenfab/ledger/usage_spool.h"

namespace tokenfab::ledger {
namespace {

// One row of text values of `sql` on `uri`, by plain libpq; empty on error.
std::vector<std::string> QueryColumn(const std::string& uri, const std::string& sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  PGresult* r = PQexec(conn, sql.c_str());
  std::vector<std::string> out;
  if (PQresultStatus(r) == PGRES_TUPLES_OK) {
    for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
  }
  PQclear(r);
  PQfinish(conn);
  return out;
}

// Stops the postmaster and the backends serving `database` (SIGSTOP) until destroyed or
// Resume(): connections stay open and nothing answers, as with a hung server or a network that
// drops packets without a reset.
class FrozenServer {
 public:
  FrozenServer(const std::string& admin_uri, const std::string& database, pid_t postmaster) {
    for (const std::string& pid : QueryColumn(
             admin_uri, fmt::format("SELECT pid FROM pg_stat_activity WHERE datname = '{}' AND "
                                    "pid <> pg_backend_pid()",
                                    database))) {
      pids_.push_back(static_cast<pid_t>(std::stol(pid)));
    }
    pids_.push_back(postmaster);
    for (pid_t pid : pids_) kill(pid, SIGSTOP);
  }
  ~FrozenServer() { Resume(); }
  void Resume() {
    for (pid_t pid : pids_) kill(pid, SIGCONT);
    pids_.clear();
  }
  size_t backends() const { return pids_.empty() ? 0 : pids_.size() - 1; }

 private:
  std::vector<pid_t> pids_;
};

UsageEvent Event(int i) {
  UsageEvent e;
  e.request_id = fmt::format("hang-{}", i);
  e.tenant = "acme";
  e.prompt_tokens = 10;
  e.completion_tokens = i;
  e.finished_micros = 1'000 + i;
  return e;
}

TEST(LedgerHangTest, AStoppedPostgresIsSpooledAtTheDeadlineAndBilledOnceWhenItRuns) {
  StatusOr<std::string> uri = Servers().postgres->CreateDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  const std::string database = uri->substr(uri->rfind('/') + 1);
  StatusOr<std::unique_ptr<Store>> store = OpenStore(*uri);
  ASSERT_TRUE(store.ok()) << store.status();
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / fmt::format("hang-{}", getpid());
  std::filesystem::remove_all(dir);
  StatusOr<std::unique_ptr<UsageSpool>> spool = UsageSpool::Open({.dir = dir.string()});
  ASSERT_TRUE(spool.ok()) << spool.status();
  base::Clock& clock = base::RealClock::Get();
  UsageRecorder recorder(**store, clock,
                         {.spool = spool->get(),
                          .replay_interval = std::chrono::milliseconds(50),
                          .max_replay_interval = std::chrono::milliseconds(200),
                          .write_timeout = std::chrono::milliseconds(300)});
  ASSERT_EQ(*recorder.Record(Event(1)).get(), InsertOutcome::kInserted);  // a live connection

  {
    FrozenServer frozen(Servers().postgres->Uri(), database, Servers().postgres->pid());
    ASSERT_GE(frozen.backends(), 1u);
    std::future<StatusOr<InsertOutcome>> hung = recorder.Record(Event(2));
    ASSERT_EQ(hung.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "the answer waits on a stopped server";
    StatusOr<InsertOutcome> outcome = hung.get();
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(*outcome, InsertOutcome::kSpooled);
    EXPECT_TRUE(recorder.stats().outage);
  }  // SIGCONT: the hung write completes, the replay delivers the spool

  for (int i = 0; i < 200; ++i) {
    if ((*spool)->stats().pending_events == 0 && !recorder.stats().outage) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ((*spool)->stats().pending_events, 0);
  EXPECT_FALSE(recorder.stats().outage);
  recorder.Shutdown();
  EXPECT_EQ(QueryColumn(*uri, "SELECT count(*) FROM usage_events WHERE request_id = 'hang-2'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(QueryColumn(*uri, "SELECT sum(completion_tokens) FROM usage_events"),
            std::vector<std::string>{"3"});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tokenfab::ledger
