// MoeWeights: the tensors of one mixture-of-experts feed-forward block, as views into the mapped
// GGUF file (see MoeConfig for the routing they implement). A plain value.
#pragma once

#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/stacked_matrices.h"

namespace tokenfab::model {

struct MoeWeights {
  kernels::WeightMatrix router;           // ffn_gate_inp: [n_expert rows, n_embd cols]
  const float* selection_bias = nullptr;  // exp_probs_b.bias [n_expert], or null
  StackedMatrices gate;                   // ffn_gate_exps: per expert [n_ff_exp, n_embd]
  StackedMatrices up;                     // ffn_up_exps: per expert [n_ff_exp, n_embd]
  StackedMatrices down;                   // ffn_down_exps: per expert [n_embd, n_ff_exp]
  kernels::WeightMatrix shared_gate;      // ffn_gate_shexp [shared_ff, n_embd]; rows 0: none
  kernels::WeightMatrix shared_up;        // ffn_up_shexp [shared_ff, n_embd]
  kernels::WeightMatrix shared_down;      // ffn_down_shexp [n_embd, shared_ff]
};

}  // namespace tokenfab::model
