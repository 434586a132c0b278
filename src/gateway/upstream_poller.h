// UpstreamPoller: polls every upstream of the generation in force, each on its own cycle: GET its
// load endpoint (upstream_load.h), time the round trip (less the upstream's own time, when it
// reports it in Server-Timing: the transport RTT), fold the answer into the upstream's
// runtime (health after `down_after` failures / `up_after` successes, load, RTT) and publish a
// new fleet snapshot. After a reload it picks up the new upstreams; a retired upstream's cycle
// ends.
//
// Threads: polls run on the HTTP client's I/O loops; the timer thread spaces them. Thread-safe.
// Stop() (or the destructor) cancels the polls in flight and waits until none remains.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include "absl/synchronization/mutex.h"

#include "fleet_state.h"
#include "timer_queue.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/net/http_client.h"
#include "upstream_runtime.h"

namespace tokenfab::gateway {

struct PollOptions {
  std::chrono::milliseconds interval{200};  // from one poll's end to the next one's start
  // The poll budget: polls a second this gateway sends, all upstreams together, at most (about:
  // each upstream's period is stretched, PollPeriod). 0 or less: no budget, every upstream is
  // polled every `interval`.
  double polls_per_s = 500;
  std::chrono::milliseconds timeout{1000};  // a poll slower than this failed
  HealthOptions health;
  // Sent as `Authorization: Bearer` on the /load polls of tokenfab upstreams (their operator
  // token); an upstream without one configured here gets its own API key, when it has one.
  std::string operator_token;
};

// The transport RTT of one poll that took `poll_micros` end to end: less the server's own time
// when the answer reports it (Server-Timing's dur; tokenfab nodes do), never below 0; the whole
// poll otherwise (a failed poll, or an upstream that reports nothing).
int64_t TransportRttMicros(const StatusOr<net::HttpResponse>& answer, int64_t poll_micros);

// How long each of `upstreams` waits from one poll's end to its next: `interval`, or longer when
// polling all of them that often would exceed `polls_per_s` (then upstreams / polls_per_s s).
// `polls_per_s` <= 0: `interval`.
std::chrono::microseconds PollPeriod(std::chrono::milliseconds interval, size_t upstreams,
                                     double polls_per_s);

// When the `i`-th of `n` upstreams whose cycles start together is first polled: i steps after
// the first (polled at once), a step being 1 / `polls_per_s` s, or period / n where that is
// shorter, so that a fleet that joins at once, or a gateway that starts on one, polls at the
// budget's pace, within one period, rather than all in the same instant. A few upstreams are
// polled almost at once (2 ms apart at 500 a second). `polls_per_s` <= 0: all at once.
// REQUIRES: i < n.
std::chrono::microseconds FirstPollDelay(std::chrono::microseconds period, size_t i, size_t n,
                                         double polls_per_s);

class UpstreamPoller {
 public:
  // Borrows everything; all must outlive the poller.
  UpstreamPoller(FleetState& state, net::HttpClient& client, TimerQueue& timers,
                 const base::Clock& clock, PollOptions options);
  ~UpstreamPoller();

  // Starts cycles for the upstreams of the current generation that have none yet (call after
  // each Install), and sizes every cycle's period to the generation (PollPeriod). The new
  // upstreams' first polls are spaced at the budget's pace (FirstPollDelay): one that joins
  // alone is polled at once.
  void Sync();
  // Cancels polls in flight and waits for them; no poll starts afterwards. Idempotent.
  void Stop();

  // Polls completed (successfully or not), for tests and metrics.
  int64_t polls() const;

 private:
  void PollNow(std::shared_ptr<UpstreamRuntime> runtime);
  // Polls `runtime` once `delay` has passed (on the timer thread).
  void ScheduleLocked(std::shared_ptr<UpstreamRuntime> runtime, std::chrono::microseconds delay)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnPolled(const std::shared_ptr<UpstreamRuntime>& runtime, StatusOr<net::HttpResponse> answer,
                int64_t started_micros);

  FleetState& state_;
  net::HttpClient& client_;
  TimerQueue& timers_;
  const base::Clock& clock_;
  const PollOptions options_;

  mutable absl::Mutex mu_;
  absl::CondVar idle_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ = 0;                                           // polls started, not ended; mu_
  std::unordered_set<UpstreamRuntime*> cycling_;                // runtimes with a cycle; mu_
  std::unordered_set<std::shared_ptr<net::ClientCall>> calls_;  // polls in flight; mu_
  std::unordered_set<uint64_t> timers_pending_;                 // scheduled next polls; mu_
  int64_t polls_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::microseconds period_ ABSL_GUARDED_BY(mu_);  // PollPeriod of the generation
};

}  // namespace tokenfab::gateway
