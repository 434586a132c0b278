// Hardware of one upstream (its accelerators or CPUs) and the throughput and power figures that
// routing and the simulator derive energy per token from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tokenfab::fleet {

enum class DeviceKind { kGpu, kNpu, kCpu };

// "gpu", "npu", "cpu".
std::optional<DeviceKind> ParseDeviceKind(std::string_view name);

// The devices behind one upstream. Figures are per device; `count` devices serve together.
// Plain data.
struct Hardware {
  DeviceKind kind = DeviceKind::kGpu;
  std::string model;              // e.g. "NVIDIA H800 SXM5"
  int32_t count = 1;              // devices in the upstream, >= 1
  double peak_tflops = 0;         // dense FP16/BF16 TFLOP/s per device
  double mem_bandwidth_gbps = 0;  // memory bandwidth per device, GB/s
  double power_idle_w = 0;        // W per device when idle
  double power_max_w = 0;         // W per device at full load

  // Power of all devices (W) at utilisation `u` in [0, 1]: linear between idle and max.
  double PowerW(double utilisation) const;

  bool operator==(const Hardware&) const = default;
};

// Aggregate throughput of one upstream at full load (all devices, a full batch), tokens/s.
struct Throughput {
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;

  bool operator==(const Throughput&) const = default;
};

// The model a roofline estimate assumes when a fleet file gives no measured throughput: a
// decoder of `params_billion` parameters stored in `bytes_per_weight` bytes, of which a token
// computes with `active_params_billion` (a mixture of experts; 0: all, a dense model).
struct ReferenceModel {
  double params_billion = 8;
  double active_params_billion = 0;
  double bytes_per_weight = 2;
  double compute_efficiency = 0.4;    // achieved share of peak FLOPS in prefill (MFU)
  double bandwidth_efficiency = 0.6;  // achieved share of memory bandwidth in decode
  int32_t decode_batch = 64;          // sequences decoded together
};

// Roofline estimate: prefill is compute-bound (2 FLOP per active parameter per token); decode
// streams once per step the weights the batch touches (a MoE batch: min(all, active x batch)),
// capped by the compute bound.
Throughput EstimateThroughput(const Hardware& hardware, const ReferenceModel& model = {});

}  // namespace tokenfab::fleet
