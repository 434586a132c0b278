#include "tokenfab/fleet/hardware.h"

#include <algorithm>
#include <array>
#include <utility>

namespace tokenfab::fleet {
namespace {

constexpr std::array<std::pair<DeviceKind, std::string_view>, 3> kDeviceKindNames = {{
    {DeviceKind::kGpu, "gpu"},
    {DeviceKind::kNpu, "npu"},
    {DeviceKind::kCpu, "cpu"},
}};

}  // namespace

std::optional<DeviceKind> ParseDeviceKind(std::string_view name) {
  for (const auto& [kind, n] : kDeviceKindNames) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

double Hardware::PowerW(double utilisation) const {
  const double u = std::clamp(utilisation, 0.0, 1.0);
  return count * (power_idle_w + (power_max_w - power_idle_w) * u);
}

Throughput EstimateThroughput(const Hardware& hardware, const ReferenceModel& model) {
  const double params = model.params_billion * 1e9;
  if (params <= 0 || model.bytes_per_weight <= 0) return {};
  const double active = model.active_params_billion > 0
                            ? std::min(params, model.active_params_billion * 1e9)
                            : params;
  const double flops = hardware.count * hardware.peak_tflops * 1e12 * model.compute_efficiency;
  const double prefill = flops / (2 * active);
  const double bytes_per_s =
      hardware.count * hardware.mem_bandwidth_gbps * 1e9 * model.bandwidth_efficiency;
  const double touched = std::min(params, active * std::max(1, model.decode_batch));
  const double decode_steps_per_s = bytes_per_s / (touched * model.bytes_per_weight);
  const double decode = std::min(decode_steps_per_s * model.decode_batch, prefill);
  return {.prefill_tokens_per_s = prefill, .decode_tokens_per_s = decode};
}

}  // namespace tokenfab::fleet
