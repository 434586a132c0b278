// A measured step-time profile on disk: the engine::PerformanceModel that
// `tokenfab bench engine --profile OUT.json` fits to a real runner (CalibratePerformanceModel),
// with the measured shapes it was fitted to, as JSON:
//
//   {"format": "tokenfab-step-profile", "version": 1, "source": "model.gguf",
//    "model": {"base_us": .., "per_prefill_token_us": .., "per_decode_sequence_us": ..,
//              "per_kv_token_us": ..},
//    "max_relative_error": .., "points": [{"prefill_tokens": .., "decode_sequences": ..,
//                                          "kv_tokens": .., "micros": ..}, ...]}
//
// The twin reads the "model" object (the points are for people); a profile read back gives the
// same step times as the model written (doubles are written so they read back exactly).
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/performance_model.h"

namespace tokenfab::sim {

// `source` names what was measured (a model file), free text.
std::string StepProfileJson(const engine::CalibrationResult& result, std::string_view source);
[[nodiscard]] Status WriteStepProfile(const std::string& path,
                                      const engine::CalibrationResult& result,
                                      std::string_view source);

// InvalidArgument naming the problem for text that is not such a profile or whose model fails
// PerformanceModel::Validate().
[[nodiscard]] StatusOr<engine::PerformanceModel> ParseStepProfile(std::string_view json);
// NotFound when the file cannot be opened.
[[nodiscard]] StatusOr<engine::PerformanceModel> LoadStepProfile(const std::string& path);

}  // namespace tokenfab::sim
