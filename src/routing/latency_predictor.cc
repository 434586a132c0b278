#include "tokenfab/routing/latency_predictor.h"

#include <algorithm>
#include <cmath>

#include "tokenfab/routing/estimates.h"

namespace tokenfab::routing {
namespace {

// Steps the engine takes to prefill `tokens` in chunks of `chunk`: at least one (the step that
// samples the first token).
double Steps(double tokens, int32_t chunk) {
  return std::max(1.0, std::ceil(tokens / std::max(chunk, 1)));
}

}  // namespace

double RetransmitDelayMs(const fleet::NetworkPath& path, double rtt_ms, int32_t prompt_tokens,
                         const PredictorOptions& options) {
  const double loss = std::clamp(path.loss, 0.0, 1.0);
  const double jitter = std::max(path.jitter_ms, 0.0);
  // The request's packets plus the first response packet.
  const double packets =
      1 + std::ceil(std::max(prompt_tokens, 1) * options.bytes_per_token / options.mss_bytes);
  const double p_lost = 1 - std::pow(1 - loss, packets);
  const double rto = std::max(options.min_rto_ms, rtt_ms + 4 * jitter);
  return jitter + p_lost * rto;
}

LatencyPrediction PredictLatency(const RoutingRequest& request,
                                 const fleet::FleetSnapshot& snapshot, uint32_t upstream,
                                 const PredictorOptions& options) {
  const fleet::FleetConfig& config = snapshot.config();
  const fleet::Upstream& up = config.upstreams()[upstream];
  const fleet::Site& site = config.SiteOf(up);
  const fleet::UpstreamState& state = snapshot.state(upstream);
  // The rate-based figures: the cache match, and the fallback without a step model.
  const UpstreamEstimate estimate = EstimateRequest(request, snapshot, upstream);
  LatencyPrediction p;
  const int32_t prompt = std::max(request.prompt_tokens, 0);
  p.rtt_ms = estimate.rtt_ms;
  p.retransmit_ms = RetransmitDelayMs(site.network, p.rtt_ms, prompt, options);
  p.cached_tokens = estimate.cached_tokens;
  const fleet::StepModel& m = state.step_model;
  if (!m.known()) {
    p.queue_ms = estimate.queue_ms;
    p.prefill_ms = estimate.prefill_ms;
    p.tpot_ms = estimate.tpot_ms;
    p.ttft_ms = p.rtt_ms + p.retransmit_ms + p.queue_ms + p.prefill_ms;
    return p;
  }
  p.step_model = true;
  const double own = prompt - p.cached_tokens;
  // Without the queue in tokens, each waiting request is taken to be as long as this one.
  const double ahead = state.prefill_tokens_queued >= 0
                           ? static_cast<double>(state.prefill_tokens_queued)
                           : static_cast<double>(std::max(state.waiting, 0)) * prompt;
  const double decoding =
      state.decode_sequences >= 0 ? state.decode_sequences : std::max(state.running, 0);
  const double kv = static_cast<double>(std::max<int64_t>(state.kv_tokens, 0));
  // Every step carries the running decodes: their interference with prefill.
  const double step_overhead_us = m.StepMicros(0, decoding, kv);
  const double queue_us = ahead > 0
                              ? ahead * m.prefill_token_us +
                                    Steps(ahead, options.prefill_chunk_tokens) * step_overhead_us
                              : 0;
  const double prefill_us =
      own * m.prefill_token_us + Steps(own, options.prefill_chunk_tokens) * step_overhead_us;
  p.queue_ms = queue_us / 1000.0;
  p.prefill_ms = prefill_us / 1000.0;
  p.ttft_ms = p.rtt_ms + p.retransmit_ms + p.queue_ms + p.prefill_ms;
  // Decoding alongside it: those running now, the requests queued ahead (they start first),
  // and itself; attending to their K/V plus the queued and own prompts.
  const double sequences =
      std::max<double>(decoding, std::max(state.running, 0)) + std::max(state.waiting, 0) + 1;
  const double decode_step_us = m.StepMicros(0, sequences, kv + ahead + prompt);
  // The prefill chunks of requests arriving while it decodes ride in its steps: what finished
  // requests' TPOT showed beyond their decode step (learned), else what the upstream's measured
  // TPOT shows beyond a decode-only step of its batch now (only while something decodes:
  // otherwise the measurement is of a batch that has gone).
  double interference_us = 0;
  if (state.tpot_interference_ms >= 0) {
    interference_us = state.tpot_interference_ms * 1000.0;
  } else if (decoding > 0 && state.tpot_ms > 0) {
    interference_us = std::max(0.0, state.tpot_ms * 1000.0 - m.StepMicros(0, decoding, kv));
  }
  p.interference_ms = interference_us / 1000.0;
  p.tpot_ms = (decode_step_us + interference_us) / 1000.0;
  return p;
}

bool PredictedToMeet(const LatencyPrediction& prediction, const SloTarget& slo, double headroom) {
  if (slo.ttft_ms > 0 && prediction.ttft_ms > headroom * slo.ttft_ms) return false;
  if (slo.tpot_ms > 0 && prediction.tpot_ms > 0 && prediction.tpot_ms > headroom * slo.tpot_ms) {
    return false;
  }
  return true;
}

}  // namespace tokenfab::routing
