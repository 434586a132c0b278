#include "tokenfab/engine/performance_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace tokenfab::engine {

int64_t PerformanceModel::StepMicros(const ScheduledBatch& batch) const {
  if (batch.empty()) return 0;
  int64_t kv_tokens = 0;
  for (const ScheduledSequence& seq : batch.sequences) {
    // Token j of the chunk attends over positions [0, position + j].
    const int64_t n = static_cast<int64_t>(seq.tokens.size());
    kv_tokens += n * seq.position + n * (n + 1) / 2;
  }
  const double us = StepMicros(batch.num_prefill_tokens, batch.num_decode_tokens, kv_tokens);
  return std::max<int64_t>(1, std::llround(us));
}

double PerformanceModel::StepMicros(int64_t prefill_tokens, int64_t decode_sequences,
                                    int64_t kv_tokens) const {
  return base_us + per_prefill_token_us * static_cast<double>(prefill_tokens) +
         per_decode_sequence_us * static_cast<double>(decode_sequences) +
         per_kv_token_us * static_cast<double>(kv_tokens);
}

StatusOr<PerformanceModel> PerformanceModel::FromLatencies(double ttft_ms, int32_t prompt_tokens,
                                                           double tpot_ms, double batch_share) {
  if (!(ttft_ms > 0) || !(tpot_ms > 0) || prompt_tokens < 1 || !(batch_share >= 0) ||
      batch_share > 1 || !std::isfinite(ttft_ms) || !std::isfinite(tpot_ms)) {
    return absl::InvalidArgumentError(fmt::format(
        "latencies need ttft_ms > 0, tpot_ms > 0, prompt_tokens >= 1 and batch_share in [0, 1] "
        "(got {}, {}, {}, {})",
        ttft_ms, tpot_ms, prompt_tokens, batch_share));
  }
  // A lone decode step costs tpot: a shared part (base, paid once per step) and a per-sequence
  // part. The first token costs one prefill step of the whole prompt plus its base.
  PerformanceModel model;
  const double tpot_us = tpot_ms * 1000.0;
  model.base_us = tpot_us * batch_share;
  model.per_decode_sequence_us = tpot_us - model.base_us;
  const double prefill_us = ttft_ms * 1000.0 - model.base_us;
  if (prefill_us <= 0) {
    return absl::InvalidArgumentError(fmt::format(
        "a TTFT of {} ms is shorter than the shared part of a step ({} ms)", ttft_ms,
        model.base_us / 1000.0));
  }
  model.per_prefill_token_us = prefill_us / prompt_tokens;
  return model;
}

std::string PerformanceModel::ToString() const {
  return fmt::format("base={},prefill={},decode={},kv={}", base_us, per_prefill_token_us,
                     per_decode_sequence_us, per_kv_token_us);
}

StatusOr<PerformanceModel> PerformanceModel::Parse(const std::string& text) {
  PerformanceModel model;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    const std::vector<absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    double value = 0;
    if (kv.size() != 2 || !absl::SimpleAtod(kv[1], &value)) {
      return absl::InvalidArgumentError(
          fmt::format("bad performance model term '{}': expected name=number", part));
    }
    if (kv[0] == "base") {
      model.base_us = value;
    } else if (kv[0] == "prefill") {
      model.per_prefill_token_us = value;
    } else if (kv[0] == "decode") {
      model.per_decode_sequence_us = value;
    } else if (kv[0] == "kv") {
      model.per_kv_token_us = value;
    } else {
      return absl::InvalidArgumentError(fmt::format(
          "unknown performance model term '{}' (base, prefill, decode, kv)", kv[0]));
    }
  }
  TF_RETURN_IF_ERROR(model.Validate());
  return model;
}

Status PerformanceModel::Validate() const {
  for (double v : {base_us, per_prefill_token_us, per_decode_sequence_us, per_kv_token_us}) {
    if (!std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(
          fmt::format("performance model coefficients must be finite and >= 0 ({})", ToString()));
    }
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::engine
