#include "tokenfab/sim/step_time_model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tokenfab::sim {
namespace {

ModelShape Shape(std::string name, double total_b, double active_b, int32_t layers,
                 int32_t kv_heads, int32_t head_dim, int32_t context) {
  ModelShape shape;
  shape.name = std::move(name);
  shape.total_params_b = total_b;
  shape.active_params_b = active_b;
  shape.kv = {.n_layer = layers,
              .n_head_kv = kv_heads,
              .head_dim = head_dim,
              .n_ctx_train = context,
              .bytes_per_element = 2};
  return shape;
}

}  // namespace

std::optional<ModelShape> KnownModelShape(std::string_view name) {
  if (name == "qwen3-8b") return Shape("qwen3-8b", 8.2, 8.2, 36, 8, 128, 32768);
  if (name == "llama3-8b") return Shape("llama3-8b", 8.0, 8.0, 32, 8, 128, 8192);
  if (name == "llama3-70b") return Shape("llama3-70b", 70.6, 70.6, 80, 8, 128, 8192);
  if (name == "qwen3-30b-a3b") return Shape("qwen3-30b-a3b", 30.5, 3.3, 48, 4, 128, 32768);
  // MLA caches a 576-element latent per layer: modelled as one KV "head" of 288 per K and V.
  if (name == "deepseek-v3") return Shape("deepseek-v3", 671, 37, 61, 1, 288, 131072);
  // The demo model `tokenfab model create` makes: a small Llama 3-style decoder.
  if (name == "tokenfab-demo") return Shape("tokenfab-demo", 0.05, 0.05, 4, 2, 64, 2048);
  return std::nullopt;
}

StepShape ShapeOf(const engine::ScheduledBatch& batch) {
  StepShape shape;
  shape.tokens = batch.num_tokens;
  shape.prefill_tokens = batch.num_prefill_tokens;
  shape.decode_sequences = batch.num_decode_tokens;
  for (const engine::ScheduledSequence& seq : batch.sequences) {
    const int64_t n = static_cast<int64_t>(seq.tokens.size());
    shape.attended_tokens += n * seq.position + n * (n + 1) / 2;
    shape.kv_positions += seq.position + n;
  }
  return shape;
}

StatusOr<StepTimeModel> StepTimeModel::Roofline(const fleet::Hardware& hardware,
                                                const ModelShape& model,
                                                const RooflineOptions& options) {
  if (!(hardware.peak_tflops > 0) || !(hardware.mem_bandwidth_gbps > 0) || hardware.count < 1) {
    return absl::InvalidArgumentError(
        fmt::format("the roofline needs peak_tflops and mem_bandwidth_gbps for hardware \"{}\"",
                    hardware.model));
  }
  if (!(model.active_params_b > 0) || model.total_params_b < model.active_params_b ||
      model.KvBytesPerToken() <= 0) {
    return absl::InvalidArgumentError(fmt::format(
        "model \"{}\": need 0 < active_params <= total_params and a KV shape", model.name));
  }
  if (!(options.compute_efficiency > 0) || !(options.bandwidth_efficiency > 0) ||
      options.overhead_us < 0 || options.attention_flops_per_kv_byte < 0) {
    return absl::InvalidArgumentError("roofline efficiencies must be positive");
  }
  StepTimeModel m;
  const double devices = hardware.count;
  m.flops_per_us_ = hardware.peak_tflops * 1e6 * devices * options.compute_efficiency;
  m.bytes_per_us_ = hardware.mem_bandwidth_gbps * 1e3 * devices * options.bandwidth_efficiency;
  m.active_params_ = model.active_params_b * 1e9;
  m.total_params_ = model.total_params_b * 1e9;
  m.bytes_per_weight_ = model.bytes_per_weight;
  m.kv_bytes_per_token_ = static_cast<double>(model.KvBytesPerToken());
  m.attention_flops_per_kv_byte_ = options.attention_flops_per_kv_byte;
  m.overhead_us_ = options.overhead_us;
  return m;
}

StatusOr<StepTimeModel> StepTimeModel::Measured(const engine::PerformanceModel& model) {
  if (Status status = model.Validate(); !status.ok()) return status;
  StepTimeModel m;
  m.measured_ = true;
  m.performance_ = model;
  return m;
}

int64_t StepTimeModel::StepMicros(const StepShape& shape) const {
  if (shape.tokens <= 0) return 0;
  double us = 0;
  if (measured_) {
    us = performance_.StepMicros(shape.prefill_tokens, shape.decode_sequences,
                                 shape.attended_tokens);
  } else {
    const double tokens = static_cast<double>(shape.tokens);
    const double flops =
        2.0 * active_params_ * tokens + attention_flops_per_kv_byte_ * kv_bytes_per_token_ *
                                            static_cast<double>(shape.attended_tokens);
    const double weights = bytes_per_weight_ * std::min(total_params_, active_params_ * tokens);
    const double kv = kv_bytes_per_token_ * static_cast<double>(shape.kv_positions + shape.tokens);
    us = std::max(flops / flops_per_us_, (weights + kv) / bytes_per_us_) + overhead_us_;
  }
  return std::max<int64_t>(1, std::llround(us));
}

std::string StepTimeModel::Describe() const {
  if (measured_) return fmt::format("measured({})", performance_.ToString());
  return fmt::format("roofline({:.3g} TFLOP/s, {:.3g} GB/s achieved, {:.3g}B active params)",
                     flops_per_us_ / 1e6, bytes_per_us_ / 1e3, active_params_ / 1e9);
}

}  // namespace tokenfab::sim
