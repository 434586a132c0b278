// MoeFeedForward: the mixture-of-experts feed-forward of one block over a batch of tokens, grouped
// by expert: the router picks each token's experts (RouteTokens), the tokens routed to an expert
// are gathered and computed together, so each expert's weights are read once per step for all
// of its tokens (in a batch of 32 sequences the experts are shared), each expert's matrices split
// over the threads by rows; the results are scattered back weighted, experts in ascending order,
// then the shared experts added. A token's result therefore does not depend on the batch around
// it (with the kernels' streaming path, see ModelRunner::SetBatchInvariant).
//
// Ownership: owns its scratch buffers, which grow to the largest batch seen; borrows the kernels
// and the weights per call. Not thread-safe (the model runner's engine thread).
#pragma once

#include <cstdint>
#include <vector>

#include "moe_router.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/moe_config.h"
#include "tokenfab/model/moe_weights.h"

namespace tokenfab::engine {

class MoeFeedForward {
 public:
  MoeFeedForward(const model::MoeConfig& config, int64_t n_embd)
      : config_(config), n_embd_(n_embd) {}

  // out[t, :] = sum over t's experts e of weight_e * down_e(silu(gate_e x) * up_e x) + the
  // shared experts' SwiGLU, for x = rows of `x` (stride n_embd). out: [n, n_embd]; may not
  // alias x.
  void Run(kernels::CpuKernels& kernels, const model::MoeWeights& w, const float* x, int64_t n,
           float* out);

  // Tokens routed to each expert in the last Run, and each token's choice ([n, n_expert_used],
  // best first), for tests and statistics.
  const std::vector<int64_t>& expert_tokens() const { return counts_; }
  const std::vector<ExpertChoice>& choices() const { return choices_; }

 private:
  void RunExpert(kernels::CpuKernels& kernels, const model::MoeWeights& w, int32_t expert,
                 const float* x, float* out);

  const model::MoeConfig config_;
  const int64_t n_embd_;
  std::vector<float> logits_;          // [n, n_expert]
  std::vector<ExpertChoice> choices_;  // [n, n_expert_used]
  std::vector<int64_t> counts_;        // [n_expert] tokens per expert
  std::vector<int64_t> offsets_;       // [n_expert + 1] into slots_
  std::vector<int32_t> slots_;         // token of each (expert, i), by expert
  std::vector<float> slot_weights_;    // its routing weight
  std::vector<float> xs_;              // [tokens of one expert, n_embd] gathered input
  std::vector<float> gate_;            // [tokens, n_ff]
  std::vector<float> up_;              // [tokens, n_ff]
  std::vector<float> ys_;              // [tokens, n_embd]
};

}  // namespace tokenfab::engine
