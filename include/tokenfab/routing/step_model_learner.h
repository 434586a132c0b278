// StepModelLearner: a step-time model learned online from what requests to one upstream saw,
// for upstreams that publish none (vLLM, SGLang, llama.cpp, other OpenAI-compatible servers).
// Two weighted least-squares fits with exponential forgetting (recent requests count most, so
// the model follows a server that slows down):
//   - decode: observed TPOT = base + decode_sequence x sequences decoding alongside it
//     (the running requests at dispatch, plus itself);
//   - prefill: observed TTFT - RTT - one decode step = prefill_token x tokens to prefill
//     (the tokens ahead of it plus its own uncached prompt), the decode step taken from the
//     decode fit as it stands when the model is read.
// The result is a fleet::StepModel that PredictLatency reads like a published one (without the
// K/V term). Pure arithmetic, no clock.
// Not thread-safe: the owner serializes calls (UpstreamRuntime holds it behind its mutex).
#pragma once

#include <cstdint>

#include "tokenfab/fleet/upstream_state.h"

namespace tokenfab::routing {

class StepModelLearner {
 public:
  // `forgetting`: the weight each earlier observation keeps when a new one arrives, (0, 1].
  explicit StepModelLearner(double forgetting = 0.98) : forgetting_(forgetting) {}

  // A finished request: its TPOT (ms) with `sequences` decoding alongside it (itself included).
  // Ignored unless tpot_ms > 0 and sequences >= 1.
  void ObserveTpot(double tpot_ms, double sequences);
  // Its TTFT less the network RTT (ms) for `tokens` to prefill (ahead of it plus its own),
  // with `sequences` decoding meanwhile. Ignored unless tokens > 0.
  void ObserveTtft(double ttft_less_rtt_ms, double tokens, double sequences);

  // Observations folded in so far (each kind).
  int64_t tpot_observations() const { return tpot_n_; }
  int64_t ttft_observations() const { return ttft_n_; }
  // The model so far; unknown (all zero) until `min_observations` of each kind. Coefficients are
  // never negative.
  fleet::StepModel Model(int64_t min_observations = 4) const;

 private:
  struct LineFit {  // weighted sums for y = a + b x
    double w = 0, x = 0, y = 0, xx = 0, xy = 0;
    void Add(double forgetting, double xv, double yv);
  };
  // base_us and decode_sequence_us from the decode fit.
  void DecodeCoefficients(double& base_us, double& per_sequence_us) const;

  double forgetting_;
  LineFit decode_;
  struct PrefillSums {  // weighted sums over (tokens t, TTFT y, sequences s)
    double tt = 0, ty = 0, t = 0, ts = 0;
  };
  PrefillSums prefill_;
  int64_t tpot_n_ = 0;
  int64_t ttft_n_ = 0;
};

}  // namespace tokenfab::routing
