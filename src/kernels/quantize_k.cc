// Reference quantisers and dequantisers of the K-quant types Q4_K and Q6_K (256-value super-blocks
// with per-sub-block scales; layouts in quant_blocks.h).
//
// Quantisation picks each sub-block's scale (and, for Q4_K, min) by a small search: a grid of
// candidate scales around the range-based one, each refined by least squares on the integers it
// produces, keeping the one with the smallest squared error. The sub-block scales are then
// quantised to the block's 6- or 8-bit scales and the integers recomputed with the scales the
// file will actually hold.
#include "kernels/quantize_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {
namespace {

constexpr int kSearchSteps = 12;  // candidates on each side of the range-based scale

int RoundClamp(float v, int lo, int hi) {
  return std::clamp(static_cast<int>(std::nearbyint(v)), lo, hi);
}

// Q4_K sub-block: x ≈ scale * q - min, q in [0, 15], scale >= 0, min >= 0.
void FitScaleMin(const float* x, int n, float* scale, float* min) {
  float lo = 0, hi = 0;  // lo <= 0: the format can only subtract a min
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  *scale = 0;
  *min = -lo;
  if (hi == lo) return;
  float best_err = INFINITY;
  for (int step = -kSearchSteps; step <= kSearchSteps; ++step) {
    const float iscale = (15.0f + 0.1f * step) / (hi - lo);
    double sq = 0, sq2 = 0, sx = 0, sxq = 0;
    int q[kQK_K];
    for (int i = 0; i < n; ++i) {
      q[i] = RoundClamp(iscale * (x[i] - lo), 0, 15);
      sq += q[i];
      sq2 += q[i] * q[i];
      sx += x[i];
      sxq += x[i] * q[i];
    }
    // Least squares x ≈ s * q + b with b <= 0.
    const double det = n * sq2 - sq * sq;
    double s = 0, b = 0;
    if (det > 0) {
      s = (n * sxq - sq * sx) / det;
      b = (sq2 * sx - sq * sxq) / det;
    }
    if (b > 0 || det <= 0) {
      b = 0;
      s = sq2 > 0 ? sxq / sq2 : 0;
    }
    if (s < 0) continue;
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const double e = x[i] - (s * q[i] + b);
      err += e * e;
    }
    if (err < best_err) {
      best_err = static_cast<float>(err);
      *scale = static_cast<float>(s);
      *min = static_cast<float>(-b);
    }
  }
}

// Q6_K sub-block: x ≈ scale * q, q in [-32, 31], scale of either sign.
float FitSymmetricScale(const float* x, int n) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax == 0) return 0;
  float best_scale = 0;
  double best_err = INFINITY;
  for (int step = -kSearchSteps; step <= kSearchSteps; ++step) {
    // The value of largest magnitude maps near -32, the end with the extra level.
    const float iscale = -(32.0f + 0.1f * step) / max;
    double sxq = 0, sq2 = 0;
    for (int i = 0; i < n; ++i) {
      const int q = RoundClamp(iscale * x[i], -32, 31);
      sxq += x[i] * q;
      sq2 += q * q;
    }
    if (sq2 == 0) continue;
    const double s = sxq / sq2;
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const double e = x[i] - s * RoundClamp(static_cast<float>(x[i] / s), -32, 31);
      err += e * e;
    }
    if (err < best_err) {
      best_err = err;
      best_scale = static_cast<float>(s);
    }
  }
  return best_scale;
}

void PackQ4KScales(const int* sc, const int* m, uint8_t* scales) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    scales[j + 4] = static_cast<uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
  }
}

}  // namespace

void Q4KScaleMin(const uint8_t* scales, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = (scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4);
    *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

void QuantizeQ4_K(const float* x, BlockQ4_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    float scale[8], min[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
      FitScaleMin(x + 32 * j, 32, &scale[j], &min[j]);
      max_scale = std::max(max_scale, scale[j]);
      max_min = std::max(max_min, min[j]);
    }
    BlockQ4_K& block = y[b];
    block.d = FloatToHalf(max_scale / 63.0f);
    block.dmin = FloatToHalf(max_min / 63.0f);
    const float d = HalfToFloat(block.d), dmin = HalfToFloat(block.dmin);
    int sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = d > 0 ? RoundClamp(scale[j] / d, 0, 63) : 0;
      m[j] = dmin > 0 ? RoundClamp(min[j] / dmin, 0, 63) : 0;
    }
    PackQ4KScales(sc, m, block.scales);
    uint8_t q[kQK_K];
    for (int j = 0; j < 8; ++j) {
      const float step = d * sc[j], offset = dmin * m[j];
      for (int i = 0; i < 32; ++i) {
        q[32 * j + i] =
            step > 0 ? static_cast<uint8_t>(RoundClamp((x[32 * j + i] + offset) / step, 0, 15)) : 0;
      }
    }
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        block.qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
      }
    }
  }
}

void DequantizeQ4_K(const BlockQ4_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = HalfToFloat(x[b].d), dmin = HalfToFloat(x[b].dmin);
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      Q4KScaleMin(x[b].scales, j, &sc, &m);
      const float step = d * static_cast<float>(sc), offset = dmin * static_cast<float>(m);
      const uint8_t* q = x[b].qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      for (int l = 0; l < 32; ++l) {
        const float v = step * static_cast<float>((q[l] >> shift) & 0x0f);
        *y++ = v - offset;
      }
    }
  }
}

void QuantizeQ6_K(const float* x, BlockQ6_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    float scale[16];
    float max_abs = 0;
    for (int i = 0; i < 16; ++i) {
      scale[i] = FitSymmetricScale(x + 16 * i, 16);
      max_abs = std::max(max_abs, std::fabs(scale[i]));
    }
    BlockQ6_K& block = y[b];
    block.d = FloatToHalf(max_abs / 127.0f);
    const float d = HalfToFloat(block.d);
    uint8_t q[kQK_K];
    for (int i = 0; i < 16; ++i) {
      const int sc = d > 0 ? RoundClamp(scale[i] / d, -127, 127) : 0;
      block.scales[i] = static_cast<int8_t>(sc);
      const float step = d * static_cast<float>(sc);
      for (int e = 16 * i; e < 16 * i + 16; ++e) {
        q[e] = static_cast<uint8_t>((step != 0 ? RoundClamp(x[e] / step, -32, 31) : 0) + 32);
      }
    }
    for (int half = 0; half < 2; ++half) {
      const uint8_t* v = q + 128 * half;
      uint8_t* ql = block.ql + 64 * half;
      uint8_t* qh = block.qh + 32 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((v[l] & 0x0f) | ((v[l + 64] & 0x0f) << 4));
        ql[l + 32] = static_cast<uint8_t>((v[l + 32] & 0x0f) | ((v[l + 96] & 0x0f) << 4));
        qh[l] = static_cast<uint8_t>((v[l] >> 4) | ((v[l + 32] >> 4) << 2) |
                                     ((v[l + 64] >> 4) << 4) | ((v[l + 96] >> 4) << 6));
      }
    }
  }
}

void DequantizeQ6_K(const BlockQ6_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = HalfToFloat(x[b].d);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[b].ql + 64 * half;
      const uint8_t* qh = x[b].qh + 32 * half;
      float* out = y + 256 * b + 128 * half;
      for (int part = 0; part < 4; ++part) {
        for (int l = 0; l < 32; ++l) {
          const uint8_t low = ql[l + 32 * (part & 1)];
          const int q =
              ((part < 2 ? low & 0x0f : low >> 4) | (((qh[l] >> (2 * part)) & 3) << 4)) - 32;
          const int e = 32 * part + l;
          const float step = d * static_cast<float>(x[b].scales[(128 * half + e) / 16]);
          out[e] = step * static_cast<float>(q);
        }
      }
    }
  }
}

}  // namespace tokenfab::kernels::internal
