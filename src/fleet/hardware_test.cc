#include "tokenfab/fleet/hardware.h"

#include <gtest/gtest.h>

namespace tokenfab::fleet {
namespace {

TEST(HardwareTest, PowerIsLinearBetweenIdleAndMax) {
  Hardware hw;
  hw.count = 8;
  hw.power_idle_w = 100;
  hw.power_max_w = 700;
  EXPECT_EQ(hw.PowerW(0), 800);
  EXPECT_EQ(hw.PowerW(1), 5600);
  EXPECT_EQ(hw.PowerW(0.5), 3200);
  EXPECT_EQ(hw.PowerW(7), 5600);  // clamped
}

TEST(HardwareTest, RooflineEstimate) {
  Hardware hw;
  hw.peak_tflops = 1000;
  hw.mem_bandwidth_gbps = 2000;
  ReferenceModel model{.params_billion = 10,
                       .bytes_per_weight = 2,
                       .compute_efficiency = 0.5,
                       .bandwidth_efficiency = 0.5,
                       .decode_batch = 10};
  Throughput t = EstimateThroughput(hw, model);
  // Prefill: 1000e12 * 0.5 / (2 * 10e9) = 25,000 tokens/s.
  EXPECT_DOUBLE_EQ(t.prefill_tokens_per_s, 25'000);
  // Decode: 2000e9 * 0.5 / 20e9 bytes = 50 steps/s, times a batch of 10.
  EXPECT_DOUBLE_EQ(t.decode_tokens_per_s, 500);
  // A huge batch is capped by the compute bound.
  model.decode_batch = 100'000;
  EXPECT_DOUBLE_EQ(EstimateThroughput(hw, model).decode_tokens_per_s, 25'000);
  // Twice the devices, twice the throughput.
  hw.count = 2;
  EXPECT_DOUBLE_EQ(EstimateThroughput(hw, model).prefill_tokens_per_s, 50'000);
}

TEST(HardwareTest, ParsesDeviceKinds) {
  EXPECT_EQ(ParseDeviceKind("gpu"), DeviceKind::kGpu);
  EXPECT_EQ(ParseDeviceKind("npu"), DeviceKind::kNpu);
  EXPECT_EQ(ParseDeviceKind("cpu"), DeviceKind::kCpu);
  EXPECT_EQ(ParseDeviceKind("tpu"), std::nullopt);
}

}  // namespace
}  // namespace tokenfab::fleet
