#include "upstream_runtime.h"

#include <algorithm>

#include "absl/synchronization/mutex.h"

namespace tokenfab::gateway {

std::optional<net::HttpUrl> ClientUrl(const net::HttpUrl& url) {
  if (url.scheme != "http") return std::nullopt;
  return url;
}

UpstreamRuntime::UpstreamRuntime(const fleet::Upstream& upstream, const base::Clock& clock,
                                 CircuitBreakerOptions breaker_options)
    : name_(upstream.name),
      identity_(upstream.name + " " + upstream.url.ToString()),
      kind_(upstream.kind),
      url_(ClientUrl(upstream.url)),
      breaker_(clock, breaker_options),
      metrics_reader_(upstream.kind) {}

bool UpstreamRuntime::ReportPoll(const StatusOr<UpstreamLoad>& load, int64_t rtt_micros,
                                 int64_t wall_micros, const HealthOptions& options) {
  absl::MutexLock lock(&mu_);
  const bool was_healthy = polled_.healthy;
  if (!load.ok()) {
    successes_ = 0;
    ++failures_;
    last_error_ = std::string(load.status().message());
    if (failures_ >= options.down_after) polled_.healthy = false;
    return polled_.healthy != was_healthy;
  }
  failures_ = 0;
  ++successes_;
  last_error_.clear();
  if (!polled_.healthy && successes_ >= options.up_after) polled_.healthy = true;
  const double rtt_ms = static_cast<double>(rtt_micros) / 1000.0;
  polled_.rtt_ms = polled_.rtt_ms < 0 ? rtt_ms
                                      : polled_.rtt_ms + options.rtt_smoothing *
                                                             (rtt_ms - polled_.rtt_ms);
  polled_.updated_wall_micros = wall_micros;
  if (kind_ == fleet::UpstreamKind::kOpenAi) return polled_.healthy != was_healthy;  // no load
  polled_.running = load->running;
  polled_.waiting = load->waiting;
  polled_.kv_usage = load->kv_usage;
  polled_.queue_delay_ms = load->queue_delay_ms;
  polled_.prefill_tokens_per_s = load->prefill_tokens_per_s;
  polled_.decode_tokens_per_s = load->decode_tokens_per_s;
  polled_.tpot_ms = load->tpot_ms;
  if (!load->cached_block_hashes.empty()) {
    polled_.cached_blocks = std::make_shared<const fleet::BlockHashSet>(load->cached_block_hashes);
    recent_hashes_ = std::make_shared<const std::vector<uint64_t>>(load->cached_block_hashes);
  } else {
    polled_.cached_blocks.reset();
    recent_hashes_.reset();
  }
  max_running_ = load->max_running;
  block_tokens_ = load->block_tokens;
  in_flight_at_poll_ = in_flight();
  return polled_.healthy != was_healthy;
}

fleet::UpstreamState UpstreamRuntime::polled() const {
  absl::MutexLock lock(&mu_);
  return polled_;
}

fleet::UpstreamState UpstreamRuntime::Current() const {
  fleet::UpstreamState state;
  int32_t at_poll, max_running;
  {
    absl::MutexLock lock(&mu_);
    state = polled_;
    at_poll = in_flight_at_poll_;
    max_running = max_running_;
  }
  state.circuit = breaker_.State();
  int32_t delta = in_flight() - at_poll;
  if (delta > 0) {
    // Sent since the upstream last reported: they run while there is room, else they queue.
    const int32_t room =
        max_running > 0 ? std::max(0, max_running - state.running) : delta;
    const int32_t run = std::min(delta, room);
    state.running += run;
    state.waiting += delta - run;
    if (delta - run > 0) state.queue_delay_ms = -1;  // the reported estimate is out of date
  } else if (delta < 0) {
    // Finished since: they left the queue or the running set.
    delta = -delta;
    const int32_t from_waiting = std::min(delta, state.waiting);
    state.waiting -= from_waiting;
    state.running = std::max(0, state.running - (delta - from_waiting));
  }
  return state;
}

int32_t UpstreamRuntime::max_running() const {
  absl::MutexLock lock(&mu_);
  return max_running_;
}

int32_t UpstreamRuntime::block_tokens() const {
  absl::MutexLock lock(&mu_);
  return block_tokens_;
}

std::shared_ptr<const std::vector<uint64_t>> UpstreamRuntime::recent_block_hashes() const {
  absl::MutexLock lock(&mu_);
  return recent_hashes_;
}

std::string UpstreamRuntime::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

}  // namespace tokenfab::gateway
