#include "tokenfab/ledger/usage_recorder.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "tokenfab/ledger/usage_spool.h"

namespace tokenfab::ledger {
namespace {

// Wraps a real SQLite store: notes which request ids have committed, can hold a batch at a gate
// until the test opens it, and can fail the next batch.
class ObservedStore final : public Store {
 public:
  explicit ObservedStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}

  bool Committed(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return committed_.contains(id);
  }
  void CloseGate() {
    absl::MutexLock lock(&mu_);
    gate_open_ = false;
  }
  void OpenGate() {
    {
      absl::MutexLock lock(&mu_);
      gate_open_ = true;
    }
    cv_.SignalAll();
  }
  // Blocks until a batch is waiting at the closed gate.
  void WaitUntilHeld() {
    absl::MutexLock lock(&mu_);
    while (!held_) cv_.Wait(&mu_);
  }
  // While down, every batch fails.
  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  void FailNextBatch() {
    absl::MutexLock lock(&mu_);
    fail_next_ = true;
  }
  std::vector<size_t> batch_sizes() {
    absl::MutexLock lock(&mu_);
    return batch_sizes_;
  }
  // How many batches past the gate held `id`.
  int Writes(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return writes_[id];
  }

  StatusOr<std::vector<InsertOutcome>> InsertUsage(std::span<const UsageEvent> events) override {
    {
      absl::MutexLock lock(&mu_);
      held_ = true;
      cv_.SignalAll();
      while (!gate_open_) cv_.Wait(&mu_);
      held_ = false;
      batch_sizes_.push_back(events.size());
      for (const UsageEvent& e : events) ++writes_[e.request_id];
      if (fail_next_ || down_) {
        fail_next_ = false;
        return absl::UnavailableError("injected failure");
      }
    }
    StatusOr<std::vector<InsertOutcome>> outcomes = inner_->InsertUsage(events);
    if (outcomes.ok()) {
      absl::MutexLock lock(&mu_);
      for (const UsageEvent& e : events) committed_.insert(e.request_id);
    }
    return outcomes;
  }

  std::string_view kind() const override { return inner_->kind(); }
  StatusOr<int> SchemaVersion() override { return inner_->SchemaVersion(); }
  Status PutTier(const Tier& t) override { return inner_->PutTier(t); }
  StatusOr<Tier> GetTier(std::string_view n) override { return inner_->GetTier(n); }
  StatusOr<std::vector<Tier>> ListTiers() override { return inner_->ListTiers(); }
  Status CreateTenant(const Tenant& t) override { return inner_->CreateTenant(t); }
  Status UpdateTenant(const Tenant& t) override { return inner_->UpdateTenant(t); }
  StatusOr<Tenant> GetTenant(std::string_view n) override { return inner_->GetTenant(n); }
  StatusOr<std::vector<Tenant>> ListTenants() override { return inner_->ListTenants(); }
  Status InsertApiKey(const ApiKeyRecord& k) override { return inner_->InsertApiKey(k); }
  StatusOr<ApiKeyRecord> GetApiKey(std::string_view id) override { return inner_->GetApiKey(id); }
  StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(std::string_view t) override {
    return inner_->ListApiKeys(t);
  }
  Status RevokeApiKey(std::string_view id, int64_t w) override {
    return inner_->RevokeApiKey(id, w);
  }
  Status AddPrice(const PriceEntry& e) override { return inner_->AddPrice(e); }
  StatusOr<std::vector<PriceEntry>> ListPrices() override { return inner_->ListPrices(); }
  StatusOr<UsageEvent> GetUsage(std::string_view id) override { return inner_->GetUsage(id); }
  StatusOr<std::vector<UsageRow>> QueryUsage(const UsageQuery& q) override {
    return inner_->QueryUsage(q);
  }
  StatusOr<int64_t> TenantTokens(std::string_view t, int64_t f, int64_t to) override {
    return inner_->TenantTokens(t, f, to);
  }

 private:
  std::unique_ptr<Store> inner_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::set<std::string> committed_;
  std::map<std::string, int> writes_;
  std::vector<size_t> batch_sizes_;
  bool gate_open_ = true;
  bool held_ = false;
  bool fail_next_ = false;
  bool down_ = false;
};

class UsageRecorderTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) / fmt::format("recorder-{}", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    StatusOr<std::unique_ptr<Store>> inner = OpenSqliteStore((dir_ / "ledger.sqlite").string());
    ASSERT_TRUE(inner.ok()) << inner.status();
    store_ = std::make_unique<ObservedStore>(std::move(*inner));
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static UsageEvent Event(int i) {
    UsageEvent e;
    e.request_id = fmt::format("req-{}", i);
    e.tenant = "acme";
    e.prompt_tokens = 10 + i;
    e.completion_tokens = i;
    e.finished_micros = 1'000 + i;
    return e;
  }

  base::ManualClock clock_{0, 1'700'000'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<ObservedStore> store_;
};

TEST_F(UsageRecorderTest, CallbackRunsOnlyAfterItsBatchCommitted) {
  UsageRecorder recorder(*store_, clock_, {.max_batch = 8, .queue_capacity = 1000});
  std::atomic<int> done{0}, before_commit{0};
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(recorder
                    .Record(Event(i),
                            [&, i](StatusOr<InsertOutcome> outcome) {
                              if (!outcome.ok() || !store_->Committed(Event(i).request_id)) {
                                ++before_commit;
                              }
                              ++done;
                            })
                    .ok());
  }
  recorder.Shutdown();
  EXPECT_EQ(done.load(), 200);
  EXPECT_EQ(before_commit.load(), 0);
  for (size_t size : store_->batch_sizes()) EXPECT_LE(size, 8u);
  StatusOr<UsageEvent> stored = store_->GetUsage("req-5");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->recorded_micros, clock_.WallMicros());
}

TEST_F(UsageRecorderTest, EventsQueuedDuringACommitGoTogetherInTheNext) {
  UsageRecorder recorder(*store_, clock_, {.max_batch = 100, .queue_capacity = 1000});
  store_->CloseGate();
  std::future<StatusOr<InsertOutcome>> first = recorder.Record(Event(0));
  store_->WaitUntilHeld();  // the first batch (one event) is "committing"
  std::vector<std::future<StatusOr<InsertOutcome>>> rest;
  for (int i = 1; i <= 50; ++i) rest.push_back(recorder.Record(Event(i)));
  store_->OpenGate();
  EXPECT_EQ(*first.get(), InsertOutcome::kInserted);
  for (auto& f : rest) EXPECT_EQ(*f.get(), InsertOutcome::kInserted);
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 50}));
  EXPECT_EQ(recorder.stats().batches, 2);
  EXPECT_EQ(recorder.stats().largest_batch, 50);
}

TEST_F(UsageRecorderTest, RetriedEventIsADuplicate) {
  UsageRecorder recorder(*store_, clock_);
  EXPECT_EQ(*recorder.Record(Event(1)).get(), InsertOutcome::kInserted);
  UsageEvent retry = Event(1);
  retry.completion_tokens = 12345;
  EXPECT_EQ(*recorder.Record(retry).get(), InsertOutcome::kDuplicate);
  EXPECT_EQ(store_->GetUsage("req-1")->completion_tokens, 1);
  EXPECT_EQ(recorder.stats().duplicates, 1);
}

TEST_F(UsageRecorderTest, BoundedQueueRefusesOrBlocks) {
  UsageRecorder recorder(*store_, clock_, {.max_batch = 1, .queue_capacity = 3});
  store_->CloseGate();
  std::future<StatusOr<InsertOutcome>> held = recorder.Record(Event(0));
  store_->WaitUntilHeld();  // event 0 left the queue; 3 slots free
  std::vector<std::future<StatusOr<InsertOutcome>>> queued;
  for (int i = 1; i <= 3; ++i) queued.push_back(recorder.Record(Event(i)));
  Status refused = recorder.TryRecord(Event(4), nullptr);
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  // A blocking Record waits for space, which appears only once the writer moves on: past the
  // gate, where the store notes the held batch. A Record that did not wait would return while
  // the gate is still closed, with no batch noted.
  std::atomic<bool> calling{false};
  std::atomic<bool> returned{false};
  size_t batches_when_returned = 0;
  std::thread blocked([&] {
    calling = true;
    EXPECT_TRUE(recorder.Record(Event(5), nullptr).ok());
    batches_when_returned = store_->batch_sizes().size();
    returned = true;
  });
  while (!calling) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // time to return, were it not held
  EXPECT_FALSE(returned.load()) << "Record returned while the queue was full";
  store_->OpenGate();
  blocked.join();
  EXPECT_TRUE(returned.load());
  EXPECT_GE(batches_when_returned, 1u) << "Record returned before the writer made space";
  recorder.Shutdown();
  EXPECT_TRUE(held.get().ok());
  for (auto& f : queued) EXPECT_TRUE(f.get().ok());
  EXPECT_TRUE(store_->GetUsage("req-5").ok());
  EXPECT_FALSE(store_->GetUsage("req-4").ok());
}

TEST_F(UsageRecorderTest, FailedBatchFailsItsCallbacksAndWritesNothing) {
  UsageRecorder recorder(*store_, clock_, {.max_batch = 100, .queue_capacity = 100});
  store_->CloseGate();
  std::future<StatusOr<InsertOutcome>> first = recorder.Record(Event(0));
  store_->WaitUntilHeld();
  store_->FailNextBatch();
  store_->OpenGate();
  StatusOr<InsertOutcome> outcome = first.get();
  EXPECT_TRUE(absl::IsUnavailable(outcome.status())) << outcome.status();
  EXPECT_FALSE(store_->GetUsage("req-0").ok());
  EXPECT_EQ(recorder.stats().failed, 1);
  // The recorder carries on with later events.
  EXPECT_EQ(*recorder.Record(Event(0)).get(), InsertOutcome::kInserted);
}

TEST_F(UsageRecorderTest, ShutdownDrainsAndThenRefuses) {
  UsageRecorder recorder(*store_, clock_, {.max_batch = 7, .queue_capacity = 10'000});
  std::atomic<int> done{0};
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(recorder.Record(Event(i), [&](StatusOr<InsertOutcome>) { ++done; }).ok());
  }
  recorder.Shutdown();
  EXPECT_EQ(done.load(), 500);
  EXPECT_EQ((*store_->QueryUsage({}))[0].requests, 500);
  EXPECT_TRUE(absl::IsFailedPrecondition(recorder.Record(Event(9999), nullptr)));
  EXPECT_TRUE(absl::IsFailedPrecondition(recorder.Record(Event(9999)).get().status()));
}

TEST_F(UsageRecorderTest, InvalidEventIsRefusedUpFront) {
  UsageRecorder recorder(*store_, clock_);
  UsageEvent bad = Event(1);
  bad.cached_tokens = bad.prompt_tokens + 1;
  EXPECT_TRUE(absl::IsInvalidArgument(recorder.Record(bad, nullptr)));
  bad = Event(1);
  bad.request_id.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(recorder.Record(bad, nullptr)));
}

// Waits up to 5 s for `done`.
template <typename Predicate>
bool Eventually(Predicate done) {
  for (int i = 0; i < 500 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST_F(UsageRecorderTest, WithTheStoreDownEventsAreSpooledThenReplayedOnce) {
  StatusOr<std::unique_ptr<UsageSpool>> spool =
      UsageSpool::Open({.dir = (dir_ / "spool").string()});
  ASSERT_TRUE(spool.ok()) << spool.status();
  std::atomic<int64_t> spooled_count{0};
  UsageRecorder recorder(*store_, clock_,
                         {.max_batch = 8,
                          .queue_capacity = 1000,
                          .spool = spool->get(),
                          .replay_interval = std::chrono::milliseconds(20),
                          .max_replay_interval = std::chrono::milliseconds(40),
                          .on_spooled = [&](int64_t n) { spooled_count += n; }});
  store_->SetDown(true);
  std::vector<std::future<StatusOr<InsertOutcome>>> outcomes;
  for (int i = 0; i < 30; ++i) outcomes.push_back(recorder.Record(Event(i)));
  for (auto& f : outcomes) {
    StatusOr<InsertOutcome> outcome = f.get();
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(*outcome, InsertOutcome::kSpooled);
  }
  EXPECT_TRUE(recorder.stats().outage);
  EXPECT_EQ(recorder.stats().spooled, 30);
  EXPECT_EQ(spooled_count.load(), 30);  // counted before the callbacks ran
  EXPECT_EQ((*spool)->stats().pending_events, 30);
  EXPECT_FALSE(store_->Committed("req-0"));
  store_->SetDown(false);
  ASSERT_TRUE(Eventually(
      [&] { return (*spool)->stats().pending_events == 0 && !recorder.stats().outage; }));
  // Served after the outage: straight to the store again.
  EXPECT_EQ(*recorder.Record(Event(30)).get(), InsertOutcome::kInserted);
  recorder.Shutdown();
  StatusOr<std::vector<UsageRow>> rows = store_->QueryUsage({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].requests, 31);
  EXPECT_EQ((*rows)[0].completion_tokens, 465);  // 0 + 1 + ... + 30, each once
  EXPECT_EQ(recorder.stats().outages, 1);
  EXPECT_EQ(spooled_count.load(), 30);  // event 30 went to the store
}

TEST_F(UsageRecorderTest, AHungStoreWriteIsSpooledAtItsDeadlineAndBilledOnce) {
  StatusOr<std::unique_ptr<UsageSpool>> spool =
      UsageSpool::Open({.dir = (dir_ / "spool").string()});
  ASSERT_TRUE(spool.ok()) << spool.status();
  std::atomic<int> timeouts_seen{0};
  UsageRecorder recorder(*store_, clock_,
                         {.max_batch = 8,
                          .queue_capacity = 100,
                          .spool = spool->get(),
                          .replay_interval = std::chrono::milliseconds(20),
                          .max_replay_interval = std::chrono::milliseconds(40),
                          .write_timeout = std::chrono::milliseconds(100),
                          .on_write_timeout = [&timeouts_seen] { ++timeouts_seen; }});
  // The store hangs (the gate stays closed) rather than fails. Opened on every way out, so that
  // a failed expectation does not leave the recorder's threads blocked.
  store_->CloseGate();
  struct Reopen {
    ObservedStore& store;
    ~Reopen() { store.OpenGate(); }
  } reopen{*store_};
  std::future<StatusOr<InsertOutcome>> first = recorder.Record(Event(1));
  ASSERT_EQ(first.wait_for(std::chrono::seconds(3)), std::future_status::ready)
      << "the answer waits on a hung store";
  StatusOr<InsertOutcome> outcome = first.get();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, InsertOutcome::kSpooled);
  EXPECT_TRUE(recorder.stats().outage);
  EXPECT_GE(recorder.stats().write_timeouts, 1);
  EXPECT_GE(timeouts_seen.load(), 1);  // the callback runs before the batch is spooled
  // Later events go to the spool without waiting on the store either.
  std::future<StatusOr<InsertOutcome>> second = recorder.Record(Event(2));
  ASSERT_EQ(second.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(*second.get(), InsertOutcome::kSpooled);
  EXPECT_FALSE(store_->Committed("req-1"));
  // The store comes back: the hung write of req-1 completes late and commits it, and the replay
  // of the spool writes it again; the ledger holds each request once.
  store_->OpenGate();
  ASSERT_TRUE(Eventually(
      [&] { return (*spool)->stats().pending_events == 0 && !recorder.stats().outage; }));
  recorder.Shutdown();
  // Every write that passed its deadline was announced, the writer's and the replayer's.
  EXPECT_EQ(timeouts_seen.load(), recorder.stats().write_timeouts);
  EXPECT_TRUE(store_->Committed("req-1"));
  EXPECT_TRUE(store_->Committed("req-2"));
  // req-1 was handed to the store at least twice: the hung write and the spool's replay.
  EXPECT_GE(store_->Writes("req-1"), 2);
  StatusOr<std::vector<UsageRow>> rows = store_->QueryUsage({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].requests, 2);
  EXPECT_EQ((*rows)[0].prompt_tokens, 11 + 12);
  EXPECT_EQ((*rows)[0].completion_tokens, 1 + 2);
}

TEST_F(UsageRecorderTest, AFullSpoolRefusesRatherThanLoses) {
  StatusOr<std::unique_ptr<UsageSpool>> spool =
      UsageSpool::Open({.dir = (dir_ / "spool").string(), .max_events = 3});
  ASSERT_TRUE(spool.ok()) << spool.status();
  UsageRecorder recorder(*store_, clock_,
                         {.max_batch = 1, .queue_capacity = 100, .spool = spool->get()});
  store_->SetDown(true);
  EXPECT_FALSE(recorder.Refusing());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*recorder.Record(Event(i)).get(), InsertOutcome::kSpooled);
  StatusOr<InsertOutcome> refused = recorder.Record(Event(3)).get();
  EXPECT_TRUE(absl::IsResourceExhausted(refused.status())) << refused.status();
  EXPECT_TRUE(recorder.Refusing());
  store_->SetDown(false);
  ASSERT_TRUE(Eventually([&] { return !recorder.Refusing(); }));
}

TEST_F(UsageRecorderTest, EventsAnEarlierProcessSpooledAreReplayedAtStart) {
  const std::string dir = (dir_ / "spool").string();
  ASSERT_TRUE((*UsageSpool::Open({.dir = dir}))->AppendSync({Event(7), Event(8)}).ok());
  StatusOr<std::unique_ptr<UsageSpool>> spool = UsageSpool::Open({.dir = dir});
  ASSERT_TRUE(spool.ok());
  UsageRecorder recorder(*store_, clock_, {.spool = spool->get()});
  ASSERT_TRUE(Eventually([&] { return store_->Committed("req-8"); }));
  EXPECT_TRUE(store_->Committed("req-7"));
  EXPECT_TRUE(Eventually([&] { return (*spool)->stats().pending_events == 0; }));
}

}  // namespace
}  // namespace tokenfab::ledger
