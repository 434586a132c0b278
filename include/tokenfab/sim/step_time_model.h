// StepTimeModel: how long one engine step takes on a simulated node, in place of the model
// runner. Two kinds:
//   - a roofline (the default) from the upstream's hardware in the fleet file (peak FLOPS and
//     memory bandwidth per device, device count) and the model's shape (total and active
//     parameters, so MoE models read only the experts a batch touches; KV bytes per token):
//       compute = (2 * active_params * tokens + attention FLOPs) / (peak * devices * mfu)
//       memory  = (weights read + K/V read and written) / (bandwidth * devices * bw_efficiency)
//       step    = max(compute, memory) + overhead
//     where weights read = bytes_per_weight * min(total_params, active_params * tokens)
//     (a dense model reads all of them; an MoE batch reads more experts the more tokens it has),
//     attention FLOPs = attention_flops_per_kv_byte * K/V bytes attended (summed over the
//     batch's tokens, as PerformanceModel counts them), and K/V read = each sequence's positions
//     [0, position + n) once per step (flash attention) plus the n new positions written;
//   - the engine's own PerformanceModel (base + per prefill token + per decode sequence + per
//     K/V position), as configured for a synthetic node or fitted from a measured profile.
// A plain value; thread-safe to read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/performance_model.h"
#include "tokenfab/engine/scheduled_batch.h"
#include "tokenfab/engine/scheduler_config.h"
#include "tokenfab/fleet/hardware.h"

namespace tokenfab::sim {

// The served model's shape. Plain data.
struct ModelShape {
  std::string name;
  double total_params_b = 8;   // billions of parameters stored
  double active_params_b = 8;  // billions used per token (= total for a dense model)
  double bytes_per_weight = 2;
  engine::KvModelShape kv;  // layers, KV heads, head size, context, KV element size

  int64_t KvBytesPerToken() const { return engine::KvBytesPerToken(kv); }
  double WeightBytes() const { return total_params_b * 1e9 * bytes_per_weight; }
};

// Shapes of well-known models by served name ("qwen3-8b", "llama3-8b", "llama3-70b",
// "qwen3-30b-a3b", "deepseek-v3", "tokenfab-demo"); nullopt for others.
std::optional<ModelShape> KnownModelShape(std::string_view name);

// Efficiency factors of the roofline. Plain data.
struct RooflineOptions {
  double compute_efficiency = 0.5;           // achieved share of peak FLOPS (MFU)
  double bandwidth_efficiency = 0.7;         // achieved share of memory bandwidth
  double attention_flops_per_kv_byte = 2.0;  // FLOPs per K/V byte attended (GQA raises it)
  double overhead_us = 100;                  // per step: launches, scheduling, sampling
};

// What one step computes, in the counts the models need.
struct StepShape {
  int64_t tokens = 0;  // prefill + decode tokens
  int64_t prefill_tokens = 0;
  int64_t decode_sequences = 0;
  int64_t attended_tokens = 0;  // sum over tokens of the positions each attends to
  int64_t kv_positions = 0;     // sum over sequences of position + n (K/V touched once)
};

// The counts of `batch`.
StepShape ShapeOf(const engine::ScheduledBatch& batch);

class StepTimeModel {
 public:
  // REQUIRES: hardware peak_tflops and mem_bandwidth_gbps > 0 (InvalidArgument otherwise).
  [[nodiscard]] static StatusOr<StepTimeModel> Roofline(const fleet::Hardware& hardware,
                                                        const ModelShape& model,
                                                        const RooflineOptions& options = {});
  // REQUIRES: performance.Validate() OK.
  [[nodiscard]] static StatusOr<StepTimeModel> Measured(const engine::PerformanceModel& model);

  // Duration of a step of this shape, µs (at least 1 for a non-empty step).
  int64_t StepMicros(const StepShape& shape) const;
  int64_t StepMicros(const engine::ScheduledBatch& batch) const {
    return StepMicros(ShapeOf(batch));
  }

  // "roofline(...)" or "measured(base=..,...)".
  std::string Describe() const;

 private:
  StepTimeModel() = default;

  bool measured_ = false;
  engine::PerformanceModel performance_;
  double flops_per_us_ = 0;   // achieved FLOP per µs, all devices
  double bytes_per_us_ = 0;   // achieved bytes per µs, all devices
  double active_params_ = 0;  // parameters per token
  double total_params_ = 0;
  double bytes_per_weight_ = 2;
  double kv_bytes_per_token_ = 0;
  double attention_flops_per_kv_byte_ = 0;
  double overhead_us_ = 0;
};

}  // namespace tokenfab::sim
