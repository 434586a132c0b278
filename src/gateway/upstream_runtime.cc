#include "upstream_runtime.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

namespace tokenfab::gateway {

std::optional<net::HttpUrl> ClientUrl(const net::HttpUrl& url) {
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  return url;
}

std::string UpstreamRuntime::IdentityOf(const fleet::Upstream& upstream) {
  return upstream.name + " " + upstream.url.ToString() +
         (upstream.api_key.empty()
              ? std::string()
              : fmt::format(" key:{:016x}", std::hash<std::string>{}(upstream.api_key))) +
         (upstream.incarnation.empty() ? std::string() : " inc:" + upstream.incarnation);
}

UpstreamRuntime::UpstreamRuntime(const fleet::Upstream& upstream, const base::Clock& clock,
                                 CircuitBreakerOptions breaker_options)
    : name_(upstream.name),
      api_key_(upstream.api_key),
      identity_(IdentityOf(upstream)),
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
  polled_.rtt_ms = polled_.rtt_ms < 0
                       ? rtt_ms
                       : polled_.rtt_ms + options.rtt_smoothing * (rtt_ms - polled_.rtt_ms);
  polled_.updated_wall_micros = wall_micros;
  if (kind_ == fleet::UpstreamKind::kOpenAi) return polled_.healthy != was_healthy;  // no load
  polled_.running = load->running;
  polled_.waiting = load->waiting;
  polled_.kv_usage = load->kv_usage;
  polled_.queue_delay_ms = load->queue_delay_ms;
  polled_.prefill_tokens_per_s = load->prefill_tokens_per_s;
  polled_.decode_tokens_per_s = load->decode_tokens_per_s;
  polled_.tpot_ms = load->tpot_ms;
  polled_.prefill_tokens_queued = load->prefill_tokens_queued;
  polled_.decode_sequences = load->decode_sequences;
  polled_.kv_tokens = load->kv_tokens;
  polled_.step_model = load->step_model;
  sent_tokens_at_poll_ = sent_tokens_.load(std::memory_order_relaxed);
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
  int64_t sent_at_poll;
  {
    absl::MutexLock lock(&mu_);
    state = polled_;
    at_poll = in_flight_at_poll_;
    max_running = max_running_;
    sent_at_poll = sent_tokens_at_poll_;
    if (!state.step_model.known()) state.step_model = learner_.Model();
    state.tpot_interference_ms = interference_ms_;
  }
  state.circuit = breaker_.State();
  if (state.prefill_tokens_queued >= 0) {
    state.prefill_tokens_queued +=
        std::max<int64_t>(0, sent_tokens_.load(std::memory_order_relaxed) - sent_at_poll);
  }
  int32_t delta = in_flight() - at_poll;
  if (delta > 0) {
    // Sent since the upstream last reported: they run while there is room, else they queue.
    const int32_t room = max_running > 0 ? std::max(0, max_running - state.running) : delta;
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

void UpstreamRuntime::Observe(const LatencyObservation& o) {
  const fleet::UpstreamState& s = o.at_dispatch;
  const double prompt = std::max(o.prompt_tokens, 0);
  const double ahead = s.prefill_tokens_queued >= 0
                           ? static_cast<double>(s.prefill_tokens_queued)
                           : static_cast<double>(std::max(s.waiting, 0)) * prompt;
  const double decoding = s.decode_sequences >= 0 ? s.decode_sequences : std::max(s.running, 0);
  // As PredictLatency counts them: running and queued ahead decode alongside it, and itself.
  const double sequences =
      std::max<double>(decoding, std::max(s.running, 0)) + std::max(s.waiting, 0) + 1;
  absl::MutexLock lock(&mu_);
  ttft_error_.Add(o.predicted_ttft_ms, o.ttft_ms);
  tpot_error_.Add(o.predicted_tpot_ms, o.tpot_ms);
  if (o.tpot_ms > 0 && o.predicted_decode_step_ms > 0) {
    const double residual = o.tpot_ms - o.predicted_decode_step_ms;
    if (residuals_.size() < kInterferenceWindow) {
      residuals_.push_back(residual);
    } else {
      residuals_[next_residual_] = residual;
      next_residual_ = (next_residual_ + 1) % kInterferenceWindow;
    }
    std::vector<double> sorted = residuals_;
    const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>((sorted.size() - 1) / 2);
    std::nth_element(sorted.begin(), middle, sorted.end());
    interference_ms_ = std::max(*middle, 0.0);
  }
  if (polled_.step_model.known()) return;  // the upstream publishes its own
  if (o.tpot_ms > 0) learner_.ObserveTpot(o.tpot_ms, sequences);
  if (o.ttft_ms > 0) {
    learner_.ObserveTtft(o.ttft_ms - std::max(s.rtt_ms, 0.0),
                         ahead + std::max(0.0, prompt - o.cached_tokens), decoding);
  }
}

PredictionErrors UpstreamRuntime::prediction_errors() const {
  absl::MutexLock lock(&mu_);
  return {.ttft_p50 = ttft_error_.P50(),
          .tpot_p50 = tpot_error_.P50(),
          .ttft_count = ttft_error_.count(),
          .tpot_count = tpot_error_.count()};
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
