// MlaWeights: the attention tensors of one deepseek2 block (multi-head latent attention, see
// MlaConfig), as views into the mapped GGUF file or into buffers owned by ModelWeights. A plain
// value.
#pragma once

#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/stacked_matrices.h"

namespace tokenfab::model {

struct MlaWeights {
  kernels::WeightMatrix wq_a;        // attn_q_a [q_lora_rank, n_embd] (q_lora_rank > 0)
  const float* q_a_norm = nullptr;   // attn_q_a_norm [q_lora_rank]
  kernels::WeightMatrix wq_b;        // attn_q_b [n_head * qk_head_dim, q_lora_rank]
  kernels::WeightMatrix wq;          // attn_q [n_head * qk_head_dim, n_embd] (q_lora_rank == 0)
  kernels::WeightMatrix wkv_a;       // attn_kv_a_mqa [kv_lora_rank + n_rot, n_embd]
  const float* kv_a_norm = nullptr;  // attn_kv_a_norm [kv_lora_rank]
  StackedMatrices k_b;               // per head [kv_lora_rank rows, qk_nope cols]: absorbs q_nope
  StackedMatrices v_b;               // per head [v_head_dim rows, kv_lora_rank cols]
};

}  // namespace tokenfab::model
