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

class UpstreamPoller {
 public:
  // Borrows everything; all must outlive the poller.
  UpstreamPoller(FleetState& state, net::HttpClient& client, TimerQueue& timers,
                 const base::Clock& clock, PollOptions options);
  ~UpstreamPoller();

  // Starts cycles for the upstreams of the current generation that have none yet (call after
  // each Install). The first poll of a new upstream starts at once.
  void Sync();
  // Cancels polls in flight and waits for them; no poll starts afterwards. Idempotent.
  void Stop();

  // Polls completed (successfully or not), for tests and metrics.
  int64_t polls() const;

 private:
  void PollNow(std::shared_ptr<UpstreamRuntime> runtime);
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
};

}  // namespace tokenfab::gateway
