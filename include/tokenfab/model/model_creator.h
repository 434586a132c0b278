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
// where kv_dim = kv_heads * head_dim. qwen3/qwen3moe (and glm4moe with qk_norm) add
// blk.N.attn_q_norm.weight / attn_k_norm.weight [head_dim]. MoE blocks replace the ffn_* trio by
//   blk.N.ffn_gate_inp.weight [dim, experts] (F32)  blk.N.exp_probs_b.bias [experts] (sigmoid)
//   blk.N.ffn_{gate,up}_exps.weight [dim, expert_ffn, experts]
//   blk.N.ffn_down_exps.weight [expert_ffn, dim, experts]
//   blk.N.ffn_{gate,up}_shexp.weight [dim, shared * expert_ffn], ffn_down_shexp (transposed)
// glm4moe names ffn_norm post_attention_norm. deepseek2 attention (current llama.cpp layout):
//   attn_q_a [dim, q_lora] attn_q_a_norm [q_lora] attn_q_b [q_lora, heads * (nope + rope)]
//   (or attn_q [dim, heads * (nope + rope)]), attn_kv_a_mqa [dim, kv_lora + rope],
//   attn_kv_a_norm [kv_lora], attn_k_b [nope, kv_lora, heads], attn_v_b [kv_lora, v, heads],
//   attn_output [heads * v, dim]. Values: weights and biases N(0, 1) * init_std; norm weights
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
