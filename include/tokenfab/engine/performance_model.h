// PerformanceModel: how long one engine step takes as a function of what the step computes,
//
//   t = base + per_prefill_token * prefill tokens + per_decode_sequence * decode sequences
//         + per_kv_token * K/V positions read by attention,
//
// (µs). The synthetic executor advances time by it, so a node without weights behaves, for the
// gateway and the fleet, like one with them. The coefficients come from configuration, from two
// service targets (FromLatencies: a TTFT and a TPOT), or from measuring a real runner
// (CalibratePerformanceModel: a few batch shapes, least squares).
// A plain value; thread-safe to read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/engine/scheduled_batch.h"

namespace tokenfab::engine {

struct PerformanceModel {
  double base_us = 0;                 // per step, whatever it computes
  double per_prefill_token_us = 0;    // per prompt (or recomputed) token
  double per_decode_sequence_us = 0;  // per decode token (one per decoding sequence)
  double per_kv_token_us = 0;         // per position attended to, summed over the batch's tokens

  // The modelled duration of `batch`, µs (at least 1 for a non-empty batch).
  int64_t StepMicros(const ScheduledBatch& batch) const;
  // The same from counts: tokens prefilled, sequences decoded, K/V positions read.
  double StepMicros(int64_t prefill_tokens, int64_t decode_sequences, int64_t kv_tokens) const;

  // A model whose lone request sees `ttft_ms` for a prompt of `prompt_tokens` and `tpot_ms`
  // per output token; batching shares `batch_share` (0..1) of the decode step among sequences
  // (0: every extra sequence costs a full step; 1: extra sequences are free).
  [[nodiscard]] static StatusOr<PerformanceModel> FromLatencies(double ttft_ms,
                                                                int32_t prompt_tokens,
                                                                double tpot_ms,
                                                                double batch_share = 0.8);

  // "base=..,prefill=..,decode=..,kv=.." (µs), as the CLI takes it; Parse reads it back.
  std::string ToString() const;
  [[nodiscard]] static StatusOr<PerformanceModel> Parse(const std::string& text);
  // InvalidArgument for a negative or non-finite coefficient.
  [[nodiscard]] Status Validate() const;
};

// One measured step shape for calibration.
struct CalibrationPoint {
  int64_t prefill_tokens = 0;
  int64_t decode_sequences = 0;
  int64_t kv_tokens = 0;
  double micros = 0;  // measured (best of the repetitions)
};

struct CalibrationResult {
  PerformanceModel model;
  std::vector<CalibrationPoint> points;
  double max_relative_error = 0;  // of the fitted model over the points
};

// The KV pool calibration runs on for `config`: 16-token blocks holding the training context, at
// least 64 and at most 4,096 tokens of it.
KvCacheShape CalibrationKvShape(const model::ModelConfig& config, kernels::GgmlType kv_type);

// Measures `runner` on prefill batches (one sequence, 32..512 tokens), decode batches (1..32
// sequences at several context lengths) and mixed ones, with throw-away KV contents (the blocks
// are the storage's, from block 0), and fits the four coefficients by non-negative least
// squares. `repetitions` >= 1 runs per shape (the fastest counts). Shapes are cut to what the
// storage holds; FailedPrecondition when it holds fewer than 64 tokens.
[[nodiscard]] StatusOr<CalibrationResult> CalibratePerformanceModel(ModelRunner& runner,
                                                                    const KvCacheShape& kv_shape,
                                                                    const base::Clock& clock,
                                                                    int repetitions = 2);

}  // namespace tokenfab::engine
