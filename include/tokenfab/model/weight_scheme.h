// WeightScheme: what `tokenfab model create --type` names: one tensor type for every 2-D weight
// (f32, f16, bf16, q8_0, q4_0, q4_K, q6_K) or a named mix (q4_K_M), and ChooseTensorType, the one
// function that turns a scheme into each tensor's type.
//
// Rules of ChooseTensorType:
//   - 1-D tensors (norm weights, biases) and the MoE router (ffn_gate_inp, which llama.cpp's
//     quantizer leaves alone) are always F32;
//   - a plain scheme gives every 2-D weight its type;
//   - q4_K_M gives Q4_K, except Q6_K for the output projection (and the token embedding when it
//     is tied to it), and for attn_v and ffn_down in the layers llama.cpp's Q4_K_M gives more bits
//     (the first and last eighth, and every third layer between);
//   - fallback: when a weight's row length (ne[0]) is not a whole number of the chosen type's
//     blocks, that weight is Q8_0 if its rows hold whole 32-element blocks, else F16 (llama.cpp's
//     quantizer falls back the same way), so the file is always valid.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/ggml_type.h"

namespace tokenfab::model {

enum class WeightScheme { kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4_K, kQ6_K, kQ4_K_M };

// "f32", "f16", "bf16", "q8_0", "q4_0", "q4_K", "q6_K", "q4_K_M".
std::string_view WeightSchemeName(WeightScheme scheme);
// The general.file_type value (llama.cpp's llama_ftype) a file of this scheme carries.
uint32_t WeightSchemeFileType(WeightScheme scheme);
// Every tensor type the scheme can give a weight (fallbacks included).
std::vector<kernels::GgmlType> WeightSchemeTypes(WeightScheme scheme);
// True when kernels can quantise every type the scheme uses.
bool IsWeightSchemeAvailable(WeightScheme scheme);
// The names of the available schemes, for help texts.
std::vector<std::string_view> AvailableWeightSchemeNames();

// Parses a scheme name (case-insensitive). Errors: an unknown name (the message lists the known
// ones), or a scheme whose types cannot be quantised yet.
[[nodiscard]] StatusOr<WeightScheme> ParseWeightScheme(std::string_view name);

// What a tensor is, for the type choice.
enum class TensorRole {
  kTokenEmbedding,  // token_embd.weight
  kOutput,          // output.weight
  kNorm,            // *_norm.weight (1-D)
  kBias,            // *.bias (1-D)
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnOutput,
  kFfnGate,
  kFfnUp,
  kFfnDown,
  kRouter,  // blk.N.ffn_gate_inp.weight (MoE expert router)
};

struct TensorTypeQuery {
  TensorRole role;
  int64_t layer;         // block index; -1 outside the blocks
  int64_t layers;        // number of blocks in the model
  bool tied_embeddings;  // the output projection reuses token_embd.weight
  int64_t row_length;    // ne[0]
};

// The tensor type of one tensor under `scheme` (rules above).
kernels::GgmlType ChooseTensorType(WeightScheme scheme, const TensorTypeQuery& query);

}  // namespace tokenfab::model
