#include "tokenfab/ledger/usage_recorder.h"

#include <algorithm>
#include <future>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "tokenfab/base/check.h"
#include "tokenfab/base/logging.h"

#include "deadline_inserter.h"

namespace tokenfab::ledger {

UsageRecorder::UsageRecorder(Store& store, base::Clock& clock, UsageRecorderOptions options)
    : clock_(clock),
      options_(options),
      writer_store_(std::make_unique<internal::DeadlineInserter>(store, options.write_timeout,
                                                                 options.on_write_timeout)),
      replayer_store_(std::make_unique<internal::DeadlineInserter>(store, options.write_timeout,
                                                                   options.on_write_timeout)) {
  TF_CHECK(options_.max_batch >= 1 && options_.queue_capacity >= 1);
  writer_ = std::thread([this] { WriterLoop(); });
  if (options_.spool != nullptr) replayer_ = std::thread([this] { ReplayLoop(); });
}

UsageRecorder::~UsageRecorder() { Shutdown(); }

Status UsageRecorder::Record(UsageEvent event, RecordCallback done) {
  return Enqueue(std::move(event), std::move(done), /*block=*/true);
}

Status UsageRecorder::TryRecord(UsageEvent event, RecordCallback done) {
  return Enqueue(std::move(event), std::move(done), /*block=*/false);
}

std::future<StatusOr<InsertOutcome>> UsageRecorder::Record(UsageEvent event) {
  auto promise = std::make_shared<std::promise<StatusOr<InsertOutcome>>>();
  std::future<StatusOr<InsertOutcome>> future = promise->get_future();
  Status status = Record(std::move(event), [promise](StatusOr<InsertOutcome> outcome) {
    promise->set_value(std::move(outcome));
  });
  if (!status.ok()) promise->set_value(std::move(status));
  return future;
}

Status UsageRecorder::Enqueue(UsageEvent event, RecordCallback done, bool block) {
  TF_RETURN_IF_ERROR(ValidateUsageEvent(event));
  {
    absl::MutexLock lock(&mu_);
    if (block) {
      while (!stopping_ && queue_.size() >= options_.queue_capacity) has_space_.Wait(&mu_);
    }
    if (stopping_) return absl::FailedPreconditionError("the usage recorder is shut down");
    if (queue_.size() >= options_.queue_capacity) {
      return absl::ResourceExhaustedError("the usage recorder's queue is full");
    }
    queue_.push_back({std::move(event), std::move(done)});
  }
  has_work_.Signal();
  return absl::OkStatus();
}

void UsageRecorder::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  has_work_.SignalAll();
  has_space_.SignalAll();
  stop_.SignalAll();
  if (replayer_.joinable()) replayer_.join();
  if (writer_.joinable()) writer_.join();
}

bool UsageRecorder::Refusing() const {
  if (options_.spool == nullptr) return false;
  {
    absl::MutexLock lock(&mu_);
    if (!stats_.outage) return false;
  }
  return options_.spool->Full();
}

void UsageRecorder::BeginOutage(const Status& cause) {
  absl::MutexLock lock(&mu_);
  if (stats_.outage) return;
  stats_.outage = true;
  stats_.outage_since_micros = clock_.WallMicros();
  ++stats_.outages;
  TF_LOG_ERROR(
      "ledger store unavailable ({}): usage events go to the local spool until it "
      "is back",
      cause.message());
}

void UsageRecorder::EndOutage() {
  absl::MutexLock lock(&mu_);
  if (!stats_.outage) return;
  stats_.outage = false;
  const UsageSpool::Stats spool = options_.spool->stats();
  TF_LOG_INFO("ledger store back after {:.1f} s: spooled events replayed ({} in all)",
              static_cast<double>(clock_.WallMicros() - stats_.outage_since_micros) / 1e6,
              spool.delivered_events);
}

void UsageRecorder::ReplayLoop() {
  std::chrono::milliseconds wait{0};  // at start: what an earlier process left, at once
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const absl::Time until = absl::Now() + absl::FromChrono(wait);
      while (!stopping_ && absl::Now() < until) stop_.WaitWithDeadline(&mu_, until);
      if (stopping_) return;
    }
    const int64_t delivered_before = options_.spool->stats().delivered_events;
    const Status delivered = options_.spool->Deliver(
        [this](std::span<const UsageEvent> events) -> Status {
          StatusOr<std::vector<InsertOutcome>> outcomes = replayer_store_->InsertUsage(events);
          if (!outcomes.ok()) return outcomes.status();
          absl::MutexLock lock(&mu_);
          stats_.duplicates +=
              std::count(outcomes->begin(), outcomes->end(), InsertOutcome::kDuplicate);
          return absl::OkStatus();
        },
        options_.max_batch);
    if (delivered.ok()) {
      // Spooled events not yet in a file: the store was not tried; the outage goes on.
      const UsageSpool::Stats spool = options_.spool->stats();
      if (spool.delivered_events > delivered_before || spool.pending_events == 0) EndOutage();
      wait = options_.replay_interval;
    } else {
      BeginOutage(delivered);
      wait = std::min(std::max(wait * 2, options_.replay_interval), options_.max_replay_interval);
    }
  }
}

UsageRecorder::Stats UsageRecorder::stats() const {
  Stats stats;
  {
    absl::MutexLock lock(&mu_);
    stats = stats_;
  }
  stats.write_timeouts = writer_store_->timeouts() + replayer_store_->timeouts();
  return stats;
}

void UsageRecorder::WriterLoop() {
  std::vector<Pending> batch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) has_work_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and everything is written
      const size_t n = std::min(queue_.size(), options_.max_batch);
      batch.clear();
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    has_space_.SignalAll();
    WriteBatch(batch);
    batch.clear();  // release the callbacks (and what they hold) now, not at the next batch
  }
}

void UsageRecorder::WriteBatch(std::vector<Pending>& batch) {
  auto written = std::make_shared<std::vector<UsageEvent>>();
  std::vector<UsageEvent>& events = *written;
  events.reserve(batch.size());
  const int64_t now = clock_.WallMicros();
  for (Pending& p : batch) {
    events.push_back(std::move(p.event));
    events.back().recorded_micros = now;
  }
  bool outage = false;
  if (options_.spool != nullptr) {
    absl::MutexLock lock(&mu_);
    outage = stats_.outage;
  }
  // In an outage the replayer probes the store; the writer does not wait on it.
  // A write past its deadline may still be reading `events`: the spool gets a copy then.
  StatusOr<std::vector<InsertOutcome>> outcomes =
      outage ? StatusOr<std::vector<InsertOutcome>>(absl::UnavailableError("store outage"))
             : writer_store_->InsertUsage(std::shared_ptr<const std::vector<UsageEvent>>(written));
  if (outcomes.ok() && outcomes->size() != batch.size()) {
    outcomes = absl::InternalError("the store returned a wrong number of outcomes");
  }
  if (!outcomes.ok() && options_.spool != nullptr) {
    const bool still_read = absl::IsDeadlineExceeded(outcomes.status());
    outcomes =
        Spool(still_read ? std::vector<UsageEvent>(events) : std::move(events), outcomes.status());
    if (outcomes.ok() && options_.on_spooled) {
      options_.on_spooled(static_cast<int64_t>(outcomes->size()));
    }
  }
  // Statistics first, so that whoever a callback wakes sees them.
  {
    absl::MutexLock lock(&mu_);
    ++stats_.batches;
    const int64_t size = static_cast<int64_t>(batch.size());
    if (outcomes.ok()) {
      stats_.events += size;
      stats_.duplicates +=
          std::count(outcomes->begin(), outcomes->end(), InsertOutcome::kDuplicate);
      stats_.spooled += std::count(outcomes->begin(), outcomes->end(), InsertOutcome::kSpooled);
    } else {
      stats_.failed += size;
    }
    stats_.largest_batch = std::max(stats_.largest_batch, size);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].done) continue;
    if (outcomes.ok()) {
      batch[i].done((*outcomes)[i]);
    } else {
      batch[i].done(outcomes.status());
    }
  }
}

StatusOr<std::vector<InsertOutcome>> UsageRecorder::Spool(std::vector<UsageEvent> events,
                                                          const Status& store_error) {
  const size_t n = events.size();
  std::promise<Status> written;
  std::future<Status> result = written.get_future();
  Status spooled = options_.spool->Append(
      std::move(events), [&written](Status s) { written.set_value(std::move(s)); });
  // After the append counts as pending: the replayer ends an outage only with nothing pending.
  BeginOutage(store_error);
  if (spooled.ok()) spooled = result.get();
  if (!spooled.ok()) {
    TF_LOG_ERROR("usage events not spooled, their requests are refused: {}", spooled.message());
    return spooled;
  }
  return std::vector<InsertOutcome>(n, InsertOutcome::kSpooled);
}

}  // namespace tokenfab::ledger
