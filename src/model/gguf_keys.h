// Checked reads of GGUF metadata keys for the model-config readers (internal to the model
// layer). Every error names the key. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/model/gguf_file.h"

namespace tokenfab::model::internal {

// A positive integer key (at most 2^31), or `fallback` when the key is absent and fallback >= 0;
// absent with fallback < 0: "key K missing".
[[nodiscard]] StatusOr<int64_t> PositiveInt(const GgufFile& file, const std::string& key,
                                            int64_t fallback);
// A non-negative integer key, or `fallback` when absent.
[[nodiscard]] StatusOr<int64_t> NonNegativeInt(const GgufFile& file, const std::string& key,
                                               int64_t fallback);
// A positive finite float key, or `fallback` when the key is absent and fallback > 0.
[[nodiscard]] StatusOr<float> PositiveFloat(const GgufFile& file, const std::string& key,
                                            double fallback);
// A boolean key, or `fallback` when absent.
[[nodiscard]] StatusOr<bool> Bool(const GgufFile& file, const std::string& key, bool fallback);

}  // namespace tokenfab::model::internal
