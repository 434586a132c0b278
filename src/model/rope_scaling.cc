#include "tokenfab/model/rope_scaling.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "gguf_keys.h"

namespace tokenfab::model {
namespace {

// A finite float key within [lo, hi], or `fallback` when absent.
StatusOr<double> FloatIn(const GgufFile& file, const std::string& key, double lo, double hi,
                         double fallback) {
  if (!file.HasKey(key)) return fallback;
  TF_ASSIGN_OR_RETURN(double value, file.GetFloat(key));
  if (!std::isfinite(value) || value < lo || value > hi) {
    return absl::InvalidArgumentError(
        fmt::format("{} = {} must be within [{}, {}]", key, value, lo, hi));
  }
  return value;
}

// The rotary pair whose frequency turns `rotations` times over `context` positions (YaRN's
// correction dimension), fractional.
double PairTurning(double rotations, int n_dims, double freq_base, int64_t context) {
  return n_dims * std::log(context / (rotations * 2.0 * std::numbers::pi)) /
         (2.0 * std::log(freq_base));
}

StatusOr<RopeScaling> ReadYarn(const GgufFile& file, const std::string& p, RopeScaling s,
                               int64_t context_length) {
  const std::string k = p + "rope.scaling.";
  TF_ASSIGN_OR_RETURN(s.factor, FloatIn(file, k + "factor", 1.0, 1e6, 1.0));
  TF_ASSIGN_OR_RETURN(s.original_context,
                      internal::PositiveInt(file, k + "original_context_length", context_length));
  TF_ASSIGN_OR_RETURN(s.log_multiplier, FloatIn(file, k + "yarn_log_multiplier", 0.0, 10.0, 0.0));
  TF_ASSIGN_OR_RETURN(s.beta_fast, FloatIn(file, k + "yarn_beta_fast", 1e-3, 1e6, 32.0));
  TF_ASSIGN_OR_RETURN(s.beta_slow, FloatIn(file, k + "yarn_beta_slow", 1e-3, 1e6, 1.0));
  TF_ASSIGN_OR_RETURN(s.ext_factor, FloatIn(file, k + "yarn_ext_factor", 0.0, 1.0, 1.0));
  TF_ASSIGN_OR_RETURN(s.attn_factor, FloatIn(file, k + "yarn_attn_factor", 1e-3, 1e3, 1.0));
  if (s.beta_slow > s.beta_fast) {
    return absl::InvalidArgumentError(fmt::format(
        "{0}yarn_beta_slow = {1} exceeds {0}yarn_beta_fast = {2}", k, s.beta_slow, s.beta_fast));
  }
  return s;
}

}  // namespace

std::string_view RopeScalingTypeName(RopeScaling::Type type) {
  switch (type) {
    case RopeScaling::Type::kNone:
      return "none";
    case RopeScaling::Type::kLinear:
      return "linear";
    case RopeScaling::Type::kYarn:
      return "yarn";
  }
  return "none";
}

StatusOr<RopeScaling> RopeScaling::FromGguf(const GgufFile& file, const std::string& prefix,
                                            int64_t context_length) {
  RopeScaling s;
  const std::string type_key = prefix + "rope.scaling.type";
  if (!file.HasKey(type_key)) return s;
  TF_ASSIGN_OR_RETURN(std::string_view type, file.GetString(type_key));
  if (type == "none") return s;
  if (type == "linear") {
    s.type = Type::kLinear;
    TF_ASSIGN_OR_RETURN(s.factor,
                        internal::PositiveFloat(file, prefix + "rope.scaling.factor", 1.0));
    return s;
  }
  if (type == "yarn") {
    s.type = Type::kYarn;
    return ReadYarn(file, prefix, s, context_length);
  }
  return absl::UnimplementedError(
      fmt::format("{} = \"{}\" is not supported (only none, linear and yarn)", type_key, type));
}

void RopeScaling::Apply(Architecture arch, int n_dims, double freq_base,
                        kernels::RopeParams& params) const {
  params.freq_scale = static_cast<float>(freq_scale());
  if (type != Type::kYarn || ext_factor == 0.0) return;
  const double low = std::floor(PairTurning(beta_fast, n_dims, freq_base, original_context));
  const double high = std::ceil(PairTurning(beta_slow, n_dims, freq_base, original_context));
  params.ext_factor = static_cast<float>(ext_factor);
  params.yarn_low = static_cast<float>(std::max(0.0, low));
  params.yarn_high = static_cast<float>(std::min(n_dims - 1.0, high));
  params.magnitude = arch == Architecture::kDeepseek2
                         ? 1.0f
                         : static_cast<float>(attn_factor * (1.0 + 0.1 * std::log(factor)));
}

double RopeScaling::AttentionScaleFactor(Architecture arch) const {
  if (type != Type::kYarn || arch != Architecture::kDeepseek2) return 1.0;
  const double mscale = attn_factor * (1.0 + log_multiplier * std::log(factor));
  return mscale * mscale;
}

}  // namespace tokenfab::model
