#include "tokenfab/kernels/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/quantize_k.h"
#include "tokenfab/base/check.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels {
namespace {

// Q8_0: d = max|x| / 127, q = round(x / d).
void QuantizeQ8_0(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_0; ++b, x += kQK8_0) {
    float amax = 0;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = FloatToHalf(d);
    for (int j = 0; j < kQK8_0; ++j) y[b].qs[j] = static_cast<int8_t>(std::lround(x[j] * id));
  }
}

void DequantizeQ8_0(const BlockQ8_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_0; ++b, y += kQK8_0) {
    const float d = HalfToFloat(x[b].d);
    for (int j = 0; j < kQK8_0; ++j) y[j] = d * x[b].qs[j];
  }
}

// Q4_0: the value of largest magnitude maps to -8, so d = that value / -8 and q = x/d + 8 in
// [0, 15]; element j goes to the low nibble of byte j, element j+16 to its high nibble.
void QuantizeQ4_0(const float* x, BlockQ4_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK4_0; ++b, x += kQK4_0) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK4_0; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = FloatToHalf(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int lo = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
      const int hi =
          std::min(15, static_cast<int>(static_cast<int8_t>(x[j + kQK4_0 / 2] * id + 8.5f)));
      y[b].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void DequantizeQ4_0(const BlockQ4_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK4_0; ++b, y += kQK4_0) {
    const float d = HalfToFloat(x[b].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      y[j] = d * ((x[b].qs[j] & 0x0f) - 8);
      y[j + kQK4_0 / 2] = d * ((x[b].qs[j] >> 4) - 8);
    }
  }
}

}  // namespace

bool CanQuantize(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_K:
    case GgmlType::kQ6_K:
      return true;
    default:
      return false;
  }
}

bool CanDequantize(GgmlType type) { return CanQuantize(type); }

void QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n) {
  TF_CHECK(n % GetGgmlTypeInfo(type).block_elements == 0) << n;
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, n * sizeof(float));
      return;
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = FloatToHalf(src[i]);
      return;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = FloatToBf16(src[i]);
      return;
    case GgmlType::kQ8_0:
      return QuantizeQ8_0(src, static_cast<BlockQ8_0*>(dst), n);
    case GgmlType::kQ4_0:
      return QuantizeQ4_0(src, static_cast<BlockQ4_0*>(dst), n);
    case GgmlType::kQ4_K:
      return internal::QuantizeQ4_K(src, static_cast<BlockQ4_K*>(dst), n);
    case GgmlType::kQ6_K:
      return internal::QuantizeQ6_K(src, static_cast<BlockQ6_K*>(dst), n);
    default:
      TF_CHECK(false) << "cannot quantize to " << GetGgmlTypeInfo(type).name;
  }
}

void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n) {
  TF_CHECK(n % GetGgmlTypeInfo(type).block_elements == 0) << n;
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, n * sizeof(float));
      return;
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = HalfToFloat(static_cast<const uint16_t*>(src)[i]);
      return;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToFloat(static_cast<const uint16_t*>(src)[i]);
      return;
    case GgmlType::kQ8_0:
      return DequantizeQ8_0(static_cast<const BlockQ8_0*>(src), dst, n);
    case GgmlType::kQ4_0:
      return DequantizeQ4_0(static_cast<const BlockQ4_0*>(src), dst, n);
    case GgmlType::kQ4_K:
      return internal::DequantizeQ4_K(static_cast<const BlockQ4_K*>(src), dst, n);
    case GgmlType::kQ6_K:
      return internal::DequantizeQ6_K(static_cast<const BlockQ6_K*>(src), dst, n);
    default:
      TF_CHECK(false) << "cannot dequantize " << GetGgmlTypeInfo(type).name;
  }
}

}  // namespace tokenfab::kernels
