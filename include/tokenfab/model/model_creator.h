// Model creation: a GGUF model file of a given ModelSpec with seeded random weights and a real
// vocabulary, loadable by tokenfab and by llama.cpp.
//
// Tensors (names and ne order as llama.cpp's loader expects them):
//   token_embd.weight [dim, n_vocab]           output_norm.weight [dim]
//   output.weight [dim, n_vocab] (untied only)
//   blk.N.attn_norm.weight [dim]               blk.N.ffn_norm.weight [dim]
//   blk.N.attn_q.weight [dim, dim]             blk.N.attn_q.bias [dim]           (qwen2)
//   blk.N.attn_k.weight [dim, kv_dim]          blk.N.attn_k.bias [kv_dim]        (qwen2)
//   blk.N.attn_v.weight [dim, kv_dim]          blk.N.attn_v.bias [kv_dim]        (qwen2)
//   blk.N.attn_output.weight [dim, dim]
//   blk.N.ffn_gate.weight [dim, ffn]  blk.N.ffn_up.weight [dim, ffn]  blk.N.ffn_down.weight [ffn,
//   dim]
// where kv_dim = kv_heads * head_dim. Values: weights and biases N(0, 1) * init_std; norm weights
// 1 + N(0, 1) * 0.02. Every row draws from its own generator, seeded from (seed, tensor name, row),
// so the bytes depend on the spec alone, never on the thread count. Rows are generated and
// quantised in parallel on the pool, one tensor at a time, and streamed to the file.
//
// Thread-safety: the functions are reentrant; the pool is used from the calling thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/kernels/ggml_type.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/model/model_spec.h"
#include "tokenfab/model/weight_scheme.h"
#include "tokenfab/tokenizer/vocab.h"

namespace tokenfab::model {

// One tensor of the model to be created.
struct PlannedTensor {
  std::string name;
  TensorRole role;
  int64_t layer;              // block index; -1 outside the blocks
  std::vector<int64_t> dims;  // ne[0] first
  kernels::GgmlType type;
};

// The model's tensors in file order: token_embd, the blocks, output_norm, output (if untied).
// REQUIRES: spec.Validate() is OK; vocab_size >= 1.
std::vector<PlannedTensor> PlanModelTensors(const ModelSpec& spec, int64_t vocab_size);

// Adds the model's metadata (general.*, <arch>.*, tokenizer.*) and tensors to `writer`. The
// tensors' data functions use `pool` and `spec` by reference: both must outlive the writer's
// writes. Errors: an invalid spec or vocabulary.
[[nodiscard]] Status AddModel(const ModelSpec& spec, const tokenizer::Vocab& vocab,
                              base::ThreadPool& pool, GgufWriter& writer);

// Writes the model to `path` (through a temporary file renamed into place when complete).
[[nodiscard]] Status CreateModelFile(const ModelSpec& spec, const tokenizer::Vocab& vocab,
                                     base::ThreadPool& pool, const std::string& path);

}  // namespace tokenfab::model
