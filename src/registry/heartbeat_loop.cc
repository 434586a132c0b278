#include "tokenfab/registry/heartbeat_loop.h"

#include "tokenfab/base/check.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::registry {

HeartbeatLoop::HeartbeatLoop(std::string key, std::chrono::milliseconds period, Beat beat,
                             const Status& first)
    : key_(std::move(key)), period_(period), beat_(std::move(beat)) {
  TF_CHECK(period_.count() > 0) << "a heartbeat period must be positive";
  if (!first.ok()) {
    TF_LOG_WARN("registry: cannot register {} yet (retrying): {}", key_, first.message());
  }
  {
    absl::MutexLock lock(&mu_);
    failing_ = !first.ok();
  }
  thread_ = std::thread([this] { Run(); });
}

HeartbeatLoop::~HeartbeatLoop() { Stop(); }

void HeartbeatLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  absl::MutexLock lock(&join_mu_);  // a second caller waits for the first one's join
  if (thread_.joinable()) thread_.join();
}

bool HeartbeatLoop::failing() const {
  absl::MutexLock lock(&mu_);
  return failing_;
}

void HeartbeatLoop::Run() {
  while (true) {
    bool was_failing = false;
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::FromChrono(period_));
      if (stopping_) return;
      was_failing = failing_;
    }
    const Status s = beat_();
    if (!s.ok() && !was_failing) {
      TF_LOG_WARN("registry: heartbeat of {} failed: {}", key_, s.message());
    }
    if (s.ok() && was_failing) TF_LOG_INFO("registry: heartbeats of {} resumed", key_);
    absl::MutexLock lock(&mu_);
    failing_ = !s.ok();
  }
}

}  // namespace tokenfab::registry
