#include "tokenfab/ledger/usage_spool.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {
namespace {

namespace fs = std::filesystem;

UsageEvent Event(int i, int64_t completion = 5) {
  UsageEvent e;
  e.request_id = fmt::format("req-{}", i);
  e.tenant = "acme";
  e.model = "m";
  e.prompt_tokens = 10;
  e.completion_tokens = completion;
  e.finished_micros = 1'000 + i;
  e.recorded_micros = 2'000 + i;
  return e;
}

UsageEvent Progress(int i, int64_t delivered) {
  UsageEvent e = Event(i, delivered);
  e.status = "interrupted";
  return e;
}

// What a Deliver() handed over, by request id (a second delivery of an id is counted).
struct Collector {
  std::map<std::string, std::vector<UsageEvent>> got;
  size_t total = 0;
  UsageSpool::DeliverFn Fn() {
    return [this](std::span<const UsageEvent> events) {
      for (const UsageEvent& e : events) got[e.request_id].push_back(e);
      total += events.size();
      return absl::OkStatus();
    };
  }
};

class UsageSpoolTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / fmt::format("spool-{}", getpid());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<UsageSpool> Open(const fs::path& dir, UsageSpoolOptions options = {}) {
    options.dir = dir.string();
    StatusOr<std::unique_ptr<UsageSpool>> spool = UsageSpool::Open(options);
    EXPECT_TRUE(spool.ok()) << spool.status();
    return spool.ok() ? *std::move(spool) : nullptr;
  }

  std::vector<fs::path> Files(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
    return files;
  }

  fs::path dir_;
};

TEST_F(UsageSpoolTest, DeliversEachEventOnceAndTrims) {
  std::unique_ptr<UsageSpool> spool = Open(dir_);
  ASSERT_TRUE(spool->AppendSync({Event(1), Event(2), Event(3)}).ok());
  ASSERT_TRUE(spool->AppendSync({Event(4)}).ok());
  EXPECT_EQ(spool->stats().pending_events, 4);
  EXPECT_GT(spool->stats().pending_bytes, 0);
  EXPECT_EQ(spool->stats().oldest_pending_micros, 2'001);
  Collector store;
  ASSERT_TRUE(spool->Deliver(store.Fn(), 2).ok());
  EXPECT_EQ(store.total, 4u);
  EXPECT_EQ(store.got["req-3"].front(), Event(3));
  ASSERT_TRUE(spool->Deliver(store.Fn(), 2).ok());
  EXPECT_EQ(store.total, 4u);  // nothing twice
  const UsageSpool::Stats stats = spool->stats();
  EXPECT_EQ(stats.pending_events, 0);
  EXPECT_EQ(stats.pending_bytes, 0);
  EXPECT_EQ(stats.oldest_pending_micros, 0);
  EXPECT_EQ(stats.delivered_events, 4);
  EXPECT_TRUE(Files(dir_).empty());
}

TEST_F(UsageSpoolTest, AFailedDeliveryKeepsTheEventsForTheNextTry) {
  std::unique_ptr<UsageSpool> spool = Open(dir_);
  ASSERT_TRUE(spool->AppendSync({Event(1), Event(2)}).ok());
  Status down = spool->Deliver(
      [](std::span<const UsageEvent>) { return absl::UnavailableError("store down"); }, 10);
  EXPECT_TRUE(absl::IsUnavailable(down));
  ASSERT_TRUE(spool->AppendSync({Event(3)}).ok());  // while the store is away
  EXPECT_EQ(spool->stats().pending_events, 3);
  Collector store;
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(store.total, 3u);
  EXPECT_EQ(spool->stats().pending_events, 0);
}

// The replayed count goes up by each delivered file's events as the file is deleted: not when
// a delivery fails, not for progress records rotated away, and on across the spool's files.
TEST_F(UsageSpoolTest, EachDeliveredFileAddsItsEventsToTheReplayedCount) {
  int64_t replayed = 0;
  std::vector<int64_t> calls;
  std::unique_ptr<UsageSpool> spool =
      Open(dir_, {.rotate_bytes = 1, .on_delivered = [&](int64_t n) {
                    replayed += n;
                    calls.push_back(n);
                  }});
  ASSERT_TRUE(spool->AppendSync({Event(1), Event(2)}).ok());
  ASSERT_TRUE(
      spool->Deliver([](std::span<const UsageEvent>) { return absl::UnavailableError("down"); }, 10)
          .ok() == false);
  EXPECT_EQ(replayed, 0);  // nothing reached the store
  ASSERT_TRUE(spool->AppendSync({Event(3)}).ok());
  Collector store;
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(replayed, 2);  // the first file; event 3 went on in the file being written
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(replayed, 3);
  // A stream's progress, in files of its own that are rotated away, is no replayed event.
  spool->AppendProgress(Progress(7, 2), nullptr);
  std::promise<Status> written;
  spool->AppendProgress(Progress(7, 4), [&](Status s) { written.set_value(s); });
  ASSERT_TRUE(written.get_future().get().ok());
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(replayed, 3);
  ASSERT_TRUE(spool->AppendSync({Event(4), Event(5)}).ok());
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(replayed, 5);  // on from where it was, in a later file
  EXPECT_EQ(replayed, spool->stats().delivered_events);
  for (int64_t n : calls) EXPECT_GT(n, 0);
}

TEST_F(UsageSpoolTest, ReopenedSpoolReplaysWhatAnEarlierProcessLeft) {
  Open(dir_)->AppendSync({Event(1), Event(2)}).IgnoreError();
  std::unique_ptr<UsageSpool> spool = Open(dir_);
  EXPECT_EQ(spool->stats().pending_events, 2);
  Collector store;
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(store.total, 2u);
  EXPECT_EQ(store.got["req-2"].front(), Event(2));
}

// A crash after the store committed a file's events and before the file was deleted: the next
// process delivers them again and the store's dedupe keeps one row each.
TEST_F(UsageSpoolTest, ACrashBetweenStoreCommitAndTrimBillsOnce) {
  fs::create_directories(dir_);
  StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore((dir_ / "ledger.sqlite").string());
  ASSERT_TRUE(store.ok()) << store.status();
  const fs::path spool_dir = dir_ / "spool";
  const fs::path crashed = dir_ / "crashed";
  std::unique_ptr<UsageSpool> spool = Open(spool_dir);
  std::vector<UsageEvent> events;
  for (int i = 0; i < 20; ++i) events.push_back(Event(i, i));
  ASSERT_TRUE(spool->AppendSync(events).ok());
  std::vector<InsertOutcome> first;
  ASSERT_TRUE(spool
                  ->Deliver(
                      [&](std::span<const UsageEvent> batch) -> Status {
                        StatusOr<std::vector<InsertOutcome>> o = (*store)->InsertUsage(batch);
                        if (!o.ok()) return o.status();
                        first.insert(first.end(), o->begin(), o->end());
                        // The disk as a crash right now would leave it.
                        fs::copy(
                            spool_dir, crashed,
                            fs::copy_options::recursive | fs::copy_options::overwrite_existing);
                        return absl::OkStatus();
                      },
                      100)
                  .ok());
  EXPECT_EQ(first, std::vector<InsertOutcome>(20, InsertOutcome::kInserted));
  spool.reset();
  std::unique_ptr<UsageSpool> restarted = Open(crashed);
  EXPECT_EQ(restarted->stats().pending_events, 20);
  std::vector<InsertOutcome> second;
  ASSERT_TRUE(restarted
                  ->Deliver(
                      [&](std::span<const UsageEvent> batch) -> Status {
                        StatusOr<std::vector<InsertOutcome>> o = (*store)->InsertUsage(batch);
                        if (!o.ok()) return o.status();
                        second.insert(second.end(), o->begin(), o->end());
                        return absl::OkStatus();
                      },
                      100)
                  .ok());
  EXPECT_EQ(second, std::vector<InsertOutcome>(20, InsertOutcome::kDuplicate));
  StatusOr<std::vector<UsageRow>> rows = (*store)->QueryUsage({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].requests, 20);
  EXPECT_EQ((*rows)[0].completion_tokens, 190);  // 0 + 1 + ... + 19, once
}

// Reopens a spool whose one file holds `bytes`; returns what it delivers.
Collector DeliverFileOf(const fs::path& dir, const std::string& bytes, UsageSpool::Stats* stats) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "usage-00000000000000000001.spool", std::ios::binary) << bytes;
  StatusOr<std::unique_ptr<UsageSpool>> spool = UsageSpool::Open({.dir = dir.string()});
  Collector got;
  if (!spool.ok()) return got;
  *stats = (*spool)->stats();
  EXPECT_TRUE((*spool)->Deliver(got.Fn(), 10).ok());
  return got;
}

TEST_F(UsageSpoolTest, ATornOrFlippedLastRecordIsDroppedAndTheEarlierOnesKept) {
  const fs::path written = dir_ / "written";
  size_t last_start = 0;
  {
    std::unique_ptr<UsageSpool> spool = Open(written);
    ASSERT_TRUE(spool->AppendSync({Event(1)}).ok());
    ASSERT_TRUE(spool->AppendSync({Event(2)}).ok());
    last_start = fs::file_size(Files(written).at(0));
    ASSERT_TRUE(spool->AppendSync({Event(3)}).ok());
  }
  std::ifstream in(Files(written).at(0), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), last_start);
  // Every offset is covered at the framing level (spool_record_test); here the header's edges
  // and a spread over the payload, each through a real open, cut and delivery.
  std::vector<size_t> cuts = {last_start + 1, last_start + 4, last_start + 7,
                              last_start + 8, last_start + 9, bytes.size() - 1};
  for (size_t cut = last_start + 16; cut < bytes.size(); cut += 23) cuts.push_back(cut);
  for (size_t cut : cuts) {
    UsageSpool::Stats stats;
    Collector got = DeliverFileOf(dir_ / "torn", bytes.substr(0, cut), &stats);
    ASSERT_EQ(got.total, 2u) << "cut at " << cut;
    EXPECT_EQ(got.got["req-2"].front(), Event(2));
    EXPECT_EQ(stats.damaged_bytes, static_cast<int64_t>(cut - last_start));
  }
  std::string flipped = bytes;
  flipped[bytes.size() - 3] ^= 0x01;
  UsageSpool::Stats stats;
  Collector got = DeliverFileOf(dir_ / "flipped", flipped, &stats);
  EXPECT_EQ(got.total, 2u);
  EXPECT_FALSE(got.got.contains("req-3"));
}

TEST_F(UsageSpoolTest, AppendsThatArriveDuringAnFsyncShareTheNext) {
  std::unique_ptr<UsageSpool> spool = Open(dir_);
  std::vector<std::future<Status>> done;
  for (int i = 0; i < 200; ++i) {
    auto promise = std::make_shared<std::promise<Status>>();
    done.push_back(promise->get_future());
    ASSERT_TRUE(spool->Append({Event(i)}, [promise](Status s) { promise->set_value(s); }).ok());
  }
  for (auto& f : done) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(spool->stats().pending_events, 200);
  // One fsync per append would be 200.
  EXPECT_LT(spool->stats().syncs, 100);
}

TEST_F(UsageSpoolTest, TheBoundRefusesInsteadOfLosing) {
  std::unique_ptr<UsageSpool> spool = Open(dir_, {.max_events = 3});
  ASSERT_TRUE(spool->AppendSync({Event(1), Event(2)}).ok());
  EXPECT_FALSE(spool->Full());
  ASSERT_TRUE(spool->AppendSync({Event(3)}).ok());
  EXPECT_TRUE(spool->Full());
  EXPECT_TRUE(absl::IsResourceExhausted(spool->AppendSync({Event(4)})));
  Collector store;
  ASSERT_TRUE(spool->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(store.total, 3u);
  EXPECT_FALSE(spool->Full());
  EXPECT_TRUE(spool->AppendSync({Event(4)}).ok());

  std::unique_ptr<UsageSpool> small = Open(dir_ / "bytes", {.max_bytes = 200});
  ASSERT_TRUE(small->AppendSync({Event(1)}).ok());  // about 150 bytes framed
  EXPECT_TRUE(absl::IsResourceExhausted(small->AppendSync({Event(2)})));
}

TEST_F(UsageSpoolTest, ACutStreamIsDeliveredAfterRestartAtItsLargestProgress) {
  {
    std::unique_ptr<UsageSpool> spool = Open(dir_, {.rotate_bytes = 1});
    spool->AppendProgress(Progress(1, 5), nullptr);
    spool->AppendProgress(Progress(2, 3), nullptr);
    ASSERT_TRUE(spool->AppendSync({Event(2, 4)}).ok());  // stream 2 finished, store away
    spool->CloseStream("req-2");
    std::promise<Status> written;
    spool->AppendProgress(Progress(1, 9), [&](Status s) { written.set_value(s); });
    ASSERT_TRUE(written.get_future().get().ok());
    // This process's progress is never delivered, even when its file is rotated away.
    Collector live;
    ASSERT_TRUE(spool->Deliver(live.Fn(), 10).ok());
    EXPECT_EQ(live.total, 1u);
    EXPECT_EQ(live.got["req-2"].front(), Event(2, 4));
  }  // "crash": stream 1 never finished
  std::unique_ptr<UsageSpool> restarted = Open(dir_);
  EXPECT_EQ(restarted->stats().recovered_streams, 1);
  Collector store;
  ASSERT_TRUE(restarted->Deliver(store.Fn(), 10).ok());
  EXPECT_EQ(store.total, 1u);
  ASSERT_EQ(store.got["req-1"].size(), 1u);
  EXPECT_EQ(store.got["req-1"].front(), Progress(1, 9));
  EXPECT_EQ(restarted->stats().recovered_streams, 0);
}

}  // namespace
}  // namespace tokenfab::ledger
