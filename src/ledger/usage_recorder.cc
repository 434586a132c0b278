#include "tokenfab/ledger/usage_recorder.h"

#include <algorithm>
#include <memory>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"

namespace tokenfab::ledger {

UsageRecorder::UsageRecorder(Store& store, base::Clock& clock, UsageRecorderOptions options)
    : store_(store), clock_(clock), options_(options) {
  TF_CHECK(options_.max_batch >= 1 && options_.queue_capacity >= 1);
  writer_ = std::thread([this] { WriterLoop(); });
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
  if (writer_.joinable()) writer_.join();
}

UsageRecorder::Stats UsageRecorder::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
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
  std::vector<UsageEvent> events;
  events.reserve(batch.size());
  const int64_t now = clock_.WallMicros();
  for (Pending& p : batch) {
    events.push_back(std::move(p.event));
    events.back().recorded_micros = now;
  }
  StatusOr<std::vector<InsertOutcome>> outcomes = store_.InsertUsage(events);
  if (outcomes.ok() && outcomes->size() != batch.size()) {
    outcomes = absl::InternalError("the store returned a wrong number of outcomes");
  }
  // Statistics first, so that whoever a callback wakes sees them.
  {
    absl::MutexLock lock(&mu_);
    ++stats_.batches;
    const int64_t size = static_cast<int64_t>(batch.size());
    if (outcomes.ok()) {
      stats_.events += size;
      stats_.duplicates += std::count(outcomes->begin(), outcomes->end(), InsertOutcome::kDuplicate);
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

}  // namespace tokenfab::ledger
