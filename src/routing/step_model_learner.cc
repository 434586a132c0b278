#include "tokenfab/routing/step_model_learner.h"

#include <algorithm>

namespace tokenfab::routing {

void StepModelLearner::LineFit::Add(double forgetting, double xv, double yv) {
  w = w * forgetting + 1;
  x = x * forgetting + xv;
  y = y * forgetting + yv;
  xx = xx * forgetting + xv * xv;
  xy = xy * forgetting + xv * yv;
}

void StepModelLearner::ObserveTpot(double tpot_ms, double sequences) {
  if (!(tpot_ms > 0) || !(sequences >= 1)) return;
  decode_.Add(forgetting_, sequences, tpot_ms * 1000.0);
  ++tpot_n_;
}

void StepModelLearner::DecodeCoefficients(double& base_us, double& per_sequence_us) const {
  base_us = 0;
  per_sequence_us = 0;
  if (decode_.w <= 0) return;
  const double mean_x = decode_.x / decode_.w;
  const double mean_y = decode_.y / decode_.w;
  const double var = decode_.xx / decode_.w - mean_x * mean_x;
  const double cov = decode_.xy / decode_.w - mean_x * mean_y;
  // All at one batch size: the slope is unknown; the whole step is taken as the base.
  const double slope = var > 1e-9 ? std::max(0.0, cov / var) : 0;
  base_us = std::max(0.0, mean_y - slope * mean_x);
  // A negative intercept was clamped: refit the slope through the origin.
  per_sequence_us = mean_y - slope * mean_x < 0 && decode_.xx > 0 ? decode_.xy / decode_.xx : slope;
}

void StepModelLearner::ObserveTtft(double ttft_less_rtt_ms, double tokens, double sequences) {
  if (!(tokens > 0)) return;
  const double y = ttft_less_rtt_ms * 1000.0;
  prefill_.tt = prefill_.tt * forgetting_ + tokens * tokens;
  prefill_.ty = prefill_.ty * forgetting_ + tokens * y;
  prefill_.t = prefill_.t * forgetting_ + tokens;
  prefill_.ts = prefill_.ts * forgetting_ + tokens * sequences;
  ++ttft_n_;
}

fleet::StepModel StepModelLearner::Model(int64_t min_observations) const {
  if (tpot_n_ < min_observations || ttft_n_ < min_observations) return {};
  fleet::StepModel m;
  DecodeCoefficients(m.base_us, m.decode_sequence_us);
  // y - (base + per_sequence x s) = prefill_token x t, fitted through the origin with the
  // decode coefficients known now (the sums are linear in them).
  if (prefill_.tt > 0) {
    const double ty = prefill_.ty - m.base_us * prefill_.t - m.decode_sequence_us * prefill_.ts;
    m.prefill_token_us = std::max(0.0, ty / prefill_.tt);
  }
  return m;
}

}  // namespace tokenfab::routing
