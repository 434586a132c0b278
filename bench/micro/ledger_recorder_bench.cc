// Usage events recorded per second: group commit (UsageRecorder, one transaction per batch)
// against one transaction per event, with N concurrent clients that each wait until their event
// is durable (as a gateway holds back a response's last chunk). SQLite on a file in
// $TOKENFAB_BENCH_DIR (default: the current directory; it must be a real disk for the fsyncs to
// mean anything), PostgreSQL on a server this benchmark starts (fsync on).
//
//   build/bin/ledger_recorder_bench --benchmark_min_time=2
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "ledger_servers.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/usage_recorder.h"

namespace tokenfab::ledger {
namespace {

constexpr int kEventsPerIteration = 1024;

UsageEvent MakeEvent(int64_t n) {
  UsageEvent e;
  e.request_id = fmt::format("bench-{}", n);
  e.tenant = "acme";
  e.key_id = "KEY000000001";
  e.model = "llama3-8b";
  e.region = "eu-west";
  e.site = "paris-1";
  e.upstream = "node-1";
  e.prompt_tokens = 512;
  e.cached_tokens = 128;
  e.completion_tokens = 256;
  e.cost = 1234;
  e.energy_wh = 0.2;
  e.carbon_g = 0.05;
  e.finished_micros = 1'700'000'000'000'000 + n;
  return e;
}

std::unique_ptr<Store> OpenSqlite() {
  const char* env = std::getenv("TOKENFAB_BENCH_DIR");
  const std::filesystem::path dir =
      std::filesystem::path(env ? env : ".") / fmt::format("ledger-bench-{}", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore((dir / "ledger.sqlite").string());
  TF_CHECK(store.ok()) << store.status().ToString();
  return std::move(*store);
}

testing_servers::PostgresServer* Postgres() {
  static std::unique_ptr<testing_servers::PostgresServer> server = [] {
    StatusOr<std::unique_ptr<testing_servers::PostgresServer>> s =
        testing_servers::PostgresServer::Start({.fsync = true});
    TF_CHECK(s.ok()) << s.status().ToString();
    return std::move(*s);
  }();
  return server.get();
}

std::unique_ptr<Store> OpenPostgres(int pool_size) {
  StatusOr<std::string> uri = Postgres()->CreateDatabase();
  TF_CHECK(uri.ok()) << uri.status().ToString();
  StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore(*uri, {.pool_size = pool_size});
  TF_CHECK(store.ok()) << store.status().ToString();
  return std::move(*store);
}

// `clients` threads share kEventsPerIteration events; each records one and waits for it.
template <typename RecordOne>
void RunClients(benchmark::State& state, int clients, std::atomic<int64_t>& next,
                const RecordOne& record_one) {
  for (auto _ : state) {
    const int64_t end = next.load() + kEventsPerIteration;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        int64_t n;
        while ((n = next.fetch_add(1)) < end) record_one(n);
      });
    }
    for (std::thread& t : threads) t.join();
    next.store(end);
  }
  state.SetItemsProcessed(state.iterations() * kEventsPerIteration);
}

void GroupCommit(benchmark::State& state, std::unique_ptr<Store> store) {
  UsageRecorder recorder(*store, base::RealClock::Get(), {.max_batch = 512});
  std::atomic<int64_t> next{0};
  RunClients(state, static_cast<int>(state.range(0)), next, [&](int64_t n) {
    StatusOr<InsertOutcome> outcome = recorder.Record(MakeEvent(n)).get();
    TF_CHECK(outcome.ok()) << outcome.status().ToString();
  });
  recorder.Shutdown();
  state.counters["events_per_commit"] =
      static_cast<double>(recorder.stats().events) / static_cast<double>(recorder.stats().batches);
}

void TransactionPerEvent(benchmark::State& state, std::unique_ptr<Store> store) {
  std::atomic<int64_t> next{0};
  RunClients(state, static_cast<int>(state.range(0)), next, [&](int64_t n) {
    const UsageEvent e = MakeEvent(n);
    StatusOr<std::vector<InsertOutcome>> outcome = store->InsertUsage({&e, 1});
    TF_CHECK(outcome.ok()) << outcome.status().ToString();
  });
}

void BM_SqliteGroupCommit(benchmark::State& state) { GroupCommit(state, OpenSqlite()); }
void BM_SqliteTransactionPerEvent(benchmark::State& state) {
  TransactionPerEvent(state, OpenSqlite());
}
void BM_PostgresGroupCommit(benchmark::State& state) { GroupCommit(state, OpenPostgres(1)); }
void BM_PostgresTransactionPerEvent(benchmark::State& state) {
  // As many connections as clients: PostgreSQL can then commit several at once itself.
  TransactionPerEvent(state, OpenPostgres(static_cast<int>(state.range(0))));
}

BENCHMARK(BM_SqliteGroupCommit)->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SqliteTransactionPerEvent)->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PostgresGroupCommit)->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PostgresTransactionPerEvent)->Arg(1)->Arg(16)->Arg(32)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tokenfab::ledger

BENCHMARK_MAIN();
