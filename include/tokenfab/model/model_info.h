// ModelSummary: what `tokenfab model info` shows about a GGUF file: architecture, shape,
// parameter count, tensor types, vocabulary, chat template and size; and its text and JSON
// renderings. Works on any valid GGUF file: what the file lacks is shown as absent.
//
// Plain values; the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenfab/kernels/ggml_type.h"
#include "tokenfab/model/gguf_file.h"

namespace tokenfab::model {

struct TensorTypeCount {
  kernels::GgmlType type;
  int64_t tensors = 0;
  int64_t elements = 0;
  uint64_t bytes = 0;
};

struct VocabSummary {
  std::string model;  // tokenizer.ggml.model: "gpt2" or "llama"
  std::string pre;
  int64_t tokens = 0;
  int64_t merges = 0;
  // Special ids after llama.cpp's defaults (-1: none) and their token texts.
  int32_t bos_id = -1, eos_id = -1, eot_id = -1, unk_id = -1, pad_id = -1;
  std::string bos, eos, eot, unk, pad;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  std::string chat_template;  // empty when the file has none
};

struct ModelSummary {
  uint32_t version = 0;
  uint64_t alignment = 0;
  uint64_t file_size = 0;  // bytes
  int64_t keys = 0;
  std::string architecture;           // general.architecture; empty when absent
  std::string name;                   // general.name
  std::optional<uint32_t> file_type;  // general.file_type
  // <arch>.* hyperparameters; nullopt when absent.
  std::optional<int64_t> dim, layers, heads, kv_heads, ffn, context, rope_dimensions;
  // Query/key head length: attention.key_length_mla, else key_length, else dim / heads.
  std::optional<int64_t> head_dim;
  std::optional<double> rope_theta, rms_epsilon;
  // RoPE scaling of a loadable model ("yarn x40 from 4096 tokens", "linear x4"); "" for none.
  std::string rope_scaling;
  bool tied_embeddings = false;  // token_embd.weight present, output.weight absent
  int64_t parameters = 0;        // elements of every tensor
  // Mixture of experts (<arch>.expert_count ...); nullopt for dense models.
  std::optional<int64_t> experts, experts_used, shared_experts;
  // Parameters one token computes with: all, less the routed experts it is not sent to
  // ((1 - used / experts) of every *_exps tensor) and multi-token-prediction blocks.
  int64_t active_parameters = 0;
  // KV cache bytes per token at F16 (latent attention: the compressed row); nullopt when the
  // file is not a model tokenfab can load.
  std::optional<int64_t> kv_bytes_per_token;
  uint64_t tensor_bytes = 0;
  int64_t tensors = 0;
  std::vector<TensorTypeCount> types;  // most bytes first
  std::optional<VocabSummary> vocab;   // nullopt when the file has no readable vocabulary
  std::string vocab_error;             // why, when the file has tokenizer keys that do not read
};

ModelSummary SummarizeModel(const GgufFile& file);

// A human-readable report, one "label  value" line per item.
std::string FormatModelSummary(const ModelSummary& summary);
// The same as a JSON object (chat template in full).
std::string ModelSummaryToJson(const ModelSummary& summary);
// Every metadata key with its type and a short rendering of its value, one per line.
std::string FormatMetadata(const GgufFile& file);
// Every tensor: name, type, dims, bytes, one per line.
std::string FormatTensors(const GgufFile& file);

// The weight type a model file is known by, as llama-bench labels it: general.file_type's name
// ("q8_0", "q4_K_M"), or, in a file without one, the name of the tensor type holding the most
// bytes of the blocks' tensors (a MoE file: its experts' type).
std::string WeightTypeLabel(const GgufFile& file);

// llama.cpp's name of a general.file_type value ("f16", "q4_K_M", ...), "unknown (N)" otherwise.
std::string FileTypeName(uint32_t file_type);

}  // namespace tokenfab::model
