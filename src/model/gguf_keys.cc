#include "gguf_keys.h"

#include <cmath>

#include <fmt/format.h>

namespace tokenfab::model::internal {

StatusOr<int64_t> PositiveInt(const GgufFile& file, const std::string& key, int64_t fallback) {
  if (!file.HasKey(key)) {
    if (fallback >= 0) return fallback;
    return absl::InvalidArgumentError(fmt::format("key {} missing", key));
  }
  TF_ASSIGN_OR_RETURN(int64_t value, file.GetInt(key));
  if (value <= 0 || value > (int64_t{1} << 31)) {
    return absl::InvalidArgumentError(fmt::format("{} = {} is out of range", key, value));
  }
  return value;
}

StatusOr<int64_t> NonNegativeInt(const GgufFile& file, const std::string& key, int64_t fallback) {
  if (!file.HasKey(key)) return fallback;
  TF_ASSIGN_OR_RETURN(int64_t value, file.GetInt(key));
  if (value < 0 || value > (int64_t{1} << 31)) {
    return absl::InvalidArgumentError(fmt::format("{} = {} is out of range", key, value));
  }
  return value;
}

StatusOr<float> PositiveFloat(const GgufFile& file, const std::string& key, double fallback) {
  double value = fallback;
  if (file.HasKey(key)) {
    TF_ASSIGN_OR_RETURN(value, file.GetFloat(key));
  } else if (fallback <= 0) {
    return absl::InvalidArgumentError(fmt::format("key {} missing", key));
  }
  if (!std::isfinite(value) || value <= 0) {
    return absl::InvalidArgumentError(fmt::format("{} = {} must be positive", key, value));
  }
  return static_cast<float>(value);
}

StatusOr<bool> Bool(const GgufFile& file, const std::string& key, bool fallback) {
  if (!file.HasKey(key)) return fallback;
  return file.GetBool(key);
}

}  // namespace tokenfab::model::internal
