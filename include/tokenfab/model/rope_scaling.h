// RopeScaling: how a model stretches its rotary position embedding past the context it was
// trained on, read from a GGUF file's <arch>.rope.scaling.* keys as llama.cpp writes them:
//
//   none    the trained frequencies.
//   linear  every frequency divided by rope.scaling.factor (positions interpolated).
//   yarn    YaRN (Peng et al. 2023, "YaRN: Efficient Context Window Extension of Large Language
//           Models"): frequencies that turn fewer than beta_slow times over the original context
//           (rope.scaling.original_context_length) are interpolated (divided by the factor), those
//           that turn more than beta_fast times are kept, a linear ramp over the rotary pairs
//           joins the two; attention logits are sharpened by the temperature
//           sqrt(1/t) = 0.1 ln(factor) + 1 (the "magnitude scale"), applied to the rotated
//           queries and keys. deepseek2 (DeepSeek-V2/V3/R1, Kimi K2) applies it instead to the
//           attention scale, as its paper's softmax scale does: 1 / sqrt(d) times
//           mscale^2, mscale = yarn_attn_factor * (1 + rope.scaling.yarn_log_multiplier *
//           ln(factor)) (the multiplier is 0.1 * mscale_all_dim of the original configuration),
//           and leaves the rotated elements' magnitude alone.
//
// Newer files may carry yarn_beta_fast, yarn_beta_slow, yarn_ext_factor and yarn_attn_factor;
// absent, they are 32, 1, 1 and 1. Any other scaling type is a load error naming the key and
// its value. A plain value.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/model_spec.h"

namespace tokenfab::model {

struct RopeScaling {
  enum class Type { kNone, kLinear, kYarn };
  Type type = Type::kNone;
  double factor = 1.0;           // rope.scaling.factor (context extension), >= 1 for yarn
  int64_t original_context = 0;  // rope.scaling.original_context_length (default context_length)
  double beta_fast = 32.0;       // yarn: rotations over the original context above which a
  double beta_slow = 1.0;        //   frequency is kept / below which it is interpolated
  double ext_factor = 1.0;       // yarn: weight of the extrapolated frequencies on the ramp
  double attn_factor = 1.0;      // yarn: multiplies the magnitude scale
  double log_multiplier = 0.0;   // yarn: rope.scaling.yarn_log_multiplier (deepseek2's mscale)

  // Reads <prefix>rope.scaling.*; context_length is the default original context.
  [[nodiscard]] static StatusOr<RopeScaling> FromGguf(const GgufFile& file,
                                                      const std::string& prefix,
                                                      int64_t context_length);

  // The frequency multiplier of the interpolated frequencies: 1 / factor (linear, yarn), else 1.
  double freq_scale() const { return type == Type::kNone ? 1.0 : 1.0 / factor; }
  // Fills the scaling fields of `params` (freq_scale and, for yarn, the ramp and magnitude) for
  // n_dims rotated elements at frequency base freq_base.
  void Apply(Architecture arch, int n_dims, double freq_base, kernels::RopeParams& params) const;
  // What the attention scale 1 / sqrt(query head length) is multiplied by (deepseek2's mscale^2
  // under yarn; 1 otherwise).
  double AttentionScaleFactor(Architecture arch) const;
};

// The name of a scaling type as the GGUF key spells it ("none", "linear", "yarn").
std::string_view RopeScalingTypeName(RopeScaling::Type type);

}  // namespace tokenfab::model
