// ModelRunner: one forward pass of the model, nothing else (no sampling, no scheduling; the
// ModelExecutor drives it once per step). It runs the forward pass of a model of any supported
// architecture (llama, qwen2, qwen3, qwen3moe, deepseek2, glm4moe) over a ForwardBatch (tokens of
// several sequences at once), writes every token's keys and values into the paged KV cache at its
// position, and returns the logits of the tokens that asked for them. It makes no scheduling
// decision: which tokens, which blocks and when is the scheduler's call.
//
// Ownership: borrows the Model and the KvCacheStorage (both must outlive it); owns its kernels
// (thread team) and activation buffers, which grow to the largest batch seen.
// Thread-safety: one Forward() at a time (it is the engine thread's).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/forward_batch.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/model.h"

namespace tokenfab::engine {

class LatentAttention;
class MoeFeedForward;

class ModelRunner {
 public:
  // REQUIRES: the storage's shape matches the model (layers, KV heads, head dimension);
  // num_threads >= 1.
  ModelRunner(const model::Model& model, const KvCacheStorage& kv, int num_threads,
              kernels::IsaLevel level = kernels::DefaultIsaLevel());
  ~ModelRunner();

  // Computes `batch`; `logits` receives batch.logit_rows().size() rows of n_vocab floats.
  // Bad input (a token id outside the vocabulary, a negative position) is an InvalidArgument
  // error and nothing is computed. REQUIRES: every position is covered by its block table.
  [[nodiscard]] Status Forward(const ForwardBatch& batch, std::vector<float>& logits);

  // Batch-invariant numerics: every token computed as if the batch were decode-sized (see
  // CpuKernels::MatMulPath), so a sequence's logits do not depend on the sequences batched with
  // it, on prefill chunking, or on whether its K/V came from the prefix cache. Off by default.
  void SetBatchInvariant(bool on) {
    kernels_.set_matmul_path(on ? kernels::CpuKernels::MatMulPath::kStreamingOnly
                                : kernels::CpuKernels::MatMulPath::kBySize);
  }
  bool batch_invariant() const {
    return kernels_.matmul_path() == kernels::CpuKernels::MatMulPath::kStreamingOnly;
  }

  // For tests and statistics: while set, every Forward appends the experts each MoE block chose,
  // block by block, token by token, n_expert_used ids each (best first). Not owned; null stops.
  void TraceExperts(std::vector<int32_t>* trace) { expert_trace_ = trace; }

  const model::Model& model() const { return model_; }
  int num_threads() const { return kernels_.num_threads(); }
  kernels::IsaLevel level() const { return kernels_.level(); }

 private:
  // Activation buffers for up to `n` tokens.
  void Reserve(int64_t n);
  void Layer(int64_t layer, const kernels::KvBatch& kv_batch, const kernels::RopeTable& rope,
             int64_t n);
  // Grouped-query attention of h into h (projection output), caching K and V.
  void Attention(const model::LayerWeights& l, int64_t layer, const kernels::KvBatch& kv_batch,
                 const kernels::RopeTable& rope, int64_t n);
  // Feed-forward of h (normed) into h.
  void FeedForward(const model::LayerWeights& l, int64_t n);

  const model::Model& model_;
  const model::ModelConfig& config_;
  const KvCacheStorage& kv_;
  kernels::CpuKernels kernels_;
  std::unique_ptr<LatentAttention> latent_;  // deepseek2
  std::unique_ptr<MoeFeedForward> moe_;      // MoE architectures
  std::vector<int32_t>* expert_trace_ = nullptr;

  int64_t capacity_ = 0;     // tokens the buffers hold
  std::vector<float> x_;     // [n, n_embd] residual stream
  std::vector<float> h_;     // [n, n_embd] normed input / projection output
  std::vector<float> q_;     // [n, q_dim]
  std::vector<float> k_;     // [n, kv_dim]
  std::vector<float> v_;     // [n, kv_dim]
  std::vector<float> att_;   // [n, q_dim]
  std::vector<float> gate_;  // [n, n_ff]
  std::vector<float> up_;    // [n, n_ff]
  std::vector<float> ffn_;   // [n, n_embd] MoE output
};

}  // namespace tokenfab::engine
