// ModelSpec: everything `tokenfab model create` needs to build a model file, apart from the
// vocabulary: architecture, shape, weight scheme and the random initialisation. Named shapes
// (NamedShapes()) spare users the numbers of well-known models.
//
// Plain values; the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/model/weight_scheme.h"

namespace tokenfab::model {

// general.architecture. Both are decoder-only transformers with RMSNorm, RoPE, grouped-query
// attention and a SwiGLU feed-forward; qwen2 adds biases to the Q, K and V projections (and
// llama.cpp rotates its heads NeoX-style).
enum class Architecture { kLlama, kQwen2 };

std::string_view ArchitectureName(Architecture arch);  // "llama", "qwen2"
[[nodiscard]] StatusOr<Architecture> ParseArchitecture(std::string_view name);

struct ModelShape {
  int64_t dim = 0;              // embedding length (n_embd)
  int64_t layers = 0;           // transformer blocks
  int64_t heads = 0;            // query heads
  int64_t kv_heads = 0;         // key/value heads
  int64_t ffn = 0;              // feed-forward hidden length
  int64_t context = 0;          // trained context length, tokens
  double rope_theta = 10000.0;  // RoPE frequency base
  double rms_epsilon = 1e-5;    // RMSNorm epsilon
  bool tied_embeddings = true;  // the output projection reuses token_embd.weight

  int64_t head_dim() const { return heads > 0 ? dim / heads : 0; }
};

struct NamedShape {
  std::string_view name;
  std::string_view description;
  Architecture arch;
  std::string_view vocab;  // the vocabulary it comes with (tokenizer::KnownVocabNames())
  ModelShape shape;
};

// tiny (tests), llama-3.2-1b, qwen2.5-0.5b.
const std::vector<NamedShape>& NamedShapes();
// Errors list the known names.
[[nodiscard]] StatusOr<NamedShape> FindNamedShape(std::string_view name);

struct ModelSpec {
  std::string name;  // general.name
  Architecture arch = Architecture::kLlama;
  ModelShape shape;
  WeightScheme weights = WeightScheme::kF16;
  uint64_t seed = 0;
  double init_std = 0.1;  // standard deviation of the random weights

  // qwen2 has Q/K/V biases; llama has none.
  bool qkv_bias() const { return arch == Architecture::kQwen2; }

  // Checks that the shape makes a model llama.cpp can run: every size positive and within
  // bounds, heads divide dim, kv_heads divide heads, an even head_dim (RoPE rotates pairs),
  // rope_theta, rms_epsilon and init_std positive and finite, the weight scheme available.
  // Errors name the offending field and its value.
  [[nodiscard]] Status Validate() const;
};

}  // namespace tokenfab::model
