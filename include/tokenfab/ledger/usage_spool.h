// UsageSpool: a local, durable, append-only spool of usage events, for when the ledger's store
// is down or refuses a write.
//
// Files `usage-<seq>.spool` in one directory, records framed with length and CRC-32C
// (spool_record.h). One writer thread appends: whatever was queued while the previous fsync ran
// goes out in one write and one fdatasync (group commit), then every append of that group is
// told it is durable. Deliver() hands the spooled events to the store: it seals the file being
// written, then, oldest file first, passes its events in batches and deletes the file once all of
// them were accepted; a failed delivery keeps the file for the next try. Delivery is therefore
// at least once, and exactly once in the store because the store ignores an event whose request
// id it already holds (a crash between "store committed" and "file deleted" replays a duplicate).
//
// Streams: AppendProgress() records how much a running stream had delivered (an event with status
// "interrupted"), CloseStream() forgets it once its real event is recorded. Progress records of
// this process are never delivered (the stream's own event supersedes them); when their file is
// deleted, the latest progress of every open stream is written again into the current file. When
// a spool is opened, its files are an earlier process's: their events are delivered, and so is
// the largest progress of each stream that has no event in the spool (a stream cut by a crash),
// which the store ignores when the stream's event did reach it.
//
// A file whose end is torn (a crash during a write) keeps every record before the damage; the
// damaged bytes are cut off, with a log line, when the spool is opened.
//
// Bound: Append() refuses (ResourceExhausted) events that would take the pending events over
// max_events or their bytes over max_bytes; the caller must then not acknowledge the request.
//
// Thread-safety: every method from any thread. Callbacks run on the writer thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger {

struct SpoolRecord;

struct UsageSpoolOptions {
  std::string dir{};                     // created when missing
  int64_t max_bytes = int64_t{1} << 30;  // pending event bytes at most; 0: no bound
  int64_t max_events = 4'000'000;        // pending events at most; 0: no bound
  // A file holding only progress records is sealed (and rewritten smaller) past this size.
  int64_t rotate_bytes = 4 << 20;
  // Called, on the delivering thread and with no lock held, with the count of events (and
  // recovered streams) of each file the store accepted, once that file is deleted: what a
  // monotonic "replayed" counter adds. May be empty.
  std::function<void(int64_t events)> on_delivered{};
};

class UsageSpool {
 public:
  struct Stats {
    int64_t pending_events = 0;         // events not yet accepted by the store
    int64_t pending_bytes = 0;          // their framed bytes
    int64_t oldest_pending_micros = 0;  // recorded_micros of the oldest pending event; 0: none
    int64_t appended_events = 0;        // events appended since open
    int64_t delivered_events = 0;       // events (and recovered streams) the store accepted
    int64_t recovered_streams = 0;      // cut streams of an earlier process still to deliver
    int64_t syncs = 0;                  // fdatasync calls
    int64_t damaged_bytes = 0;          // torn bytes cut off at open
  };
  // The store's side of Deliver(): OK once every event of the batch is durable there (or was
  // already). Must be idempotent by request id.
  using DeliverFn = std::function<Status(std::span<const UsageEvent>)>;

  // Opens the spool in options.dir, reading what an earlier process left.
  [[nodiscard]] static StatusOr<std::unique_ptr<UsageSpool>> Open(UsageSpoolOptions options);
  // Writes what is queued, then stops the writer. Pending events stay on disk.
  ~UsageSpool();
  UsageSpool(const UsageSpool&) = delete;
  UsageSpool& operator=(const UsageSpool&) = delete;

  // Queues `events`; `done` runs once they are durable (or the write failed). Errors (done is
  // then never called): ResourceExhausted over the bound, FailedPrecondition after shutdown.
  [[nodiscard]] Status Append(std::vector<UsageEvent> events, std::function<void(Status)> done);
  // Append() and wait for it.
  [[nodiscard]] Status AppendSync(std::vector<UsageEvent> events);
  // Records the delivered count of an open stream (`progress.request_id`); `done` may be empty.
  void AppendProgress(UsageEvent progress, std::function<void(Status)> done);
  // The stream's own event is recorded: its progress is no longer carried forward.
  void CloseStream(const std::string& request_id);

  // Delivers pending events (see the file comment), at most max_batch per call of `deliver`.
  // Returns the first failure; what was not delivered stays. Not concurrent with itself.
  [[nodiscard]] Status Deliver(const DeliverFn& deliver, size_t max_batch);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // True when Append() of one event would be refused for the bound.
  bool Full() const ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces options.max_events and options.max_bytes (a reloaded configuration). Events already
  // spooled stay; a smaller bound only refuses later appends.
  void SetBound(int64_t max_events, int64_t max_bytes) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Segment {
    int64_t events = 0;
    int64_t event_bytes = 0;
    int64_t oldest_micros = 0;
    bool inherited = false;  // written by an earlier process
  };
  struct Write {
    std::string bytes;
    uint64_t seq = 0;  // filled by the writer
    int64_t events = 0;
    int64_t oldest_micros = 0;
    std::function<void(Status)> done;
  };

  explicit UsageSpool(UsageSpoolOptions options);
  Status Recover();
  Status Enqueue(std::vector<SpoolRecord> records, bool bounded, std::function<void(Status)> done)
      ABSL_LOCKS_EXCLUDED(mu_);
  void WriterLoop();
  Status WriteGroup(std::deque<Write>& group) ABSL_LOCKS_EXCLUDED(file_mu_);
  std::string PathOf(uint64_t seq) const;
  uint64_t SealActive() ABSL_LOCKS_EXCLUDED(file_mu_);
  Status DeliverSegment(uint64_t seq, const DeliverFn& deliver, size_t max_batch);
  bool OverBound(int64_t events, int64_t bytes) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const UsageSpoolOptions options_;

  mutable absl::Mutex mu_;
  absl::CondVar has_work_;
  std::deque<Write> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<uint64_t, Segment> segments_ ABSL_GUARDED_BY(mu_);
  // Open streams of this process: their latest progress record.
  std::map<std::string, UsageEvent> open_streams_ ABSL_GUARDED_BY(mu_);
  // Earlier processes' cut streams: (file, record index) of the progress to deliver.
  std::set<std::pair<uint64_t, size_t>> recovered_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  int64_t max_events_ ABSL_GUARDED_BY(mu_);  // the bound: options_ until SetBound
  int64_t max_bytes_ ABSL_GUARDED_BY(mu_);

  // Taken before mu_ when both are held.
  absl::Mutex file_mu_;
  int fd_ ABSL_GUARDED_BY(file_mu_) = -1;  // the file being written; -1: none open
  uint64_t active_seq_ ABSL_GUARDED_BY(file_mu_) = 1;
  int64_t active_bytes_ ABSL_GUARDED_BY(file_mu_) = 0;

  std::thread writer_;
};

}  // namespace tokenfab::ledger
