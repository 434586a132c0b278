// Readers of the architecture-specific parts of a block (internal to the model layer): the MoE
// feed-forward and the latent attention. Errors name the tensor (see TensorLoader).
#pragma once

#include <string>

#include "tensor_loader.h"
#include "tokenfab/base/status.h"
#include "tokenfab/model/mla_weights.h"
#include "tokenfab/model/model_config.h"
#include "tokenfab/model/moe_weights.h"

namespace tokenfab::model::internal {

// The MoE tensors of the block whose names start with `prefix` ("blk.3.").
[[nodiscard]] StatusOr<MoeWeights> LoadMoeWeights(TensorLoader& loader, const ModelConfig& config,
                                                  const std::string& prefix);

// The latent-attention tensors (attn_output excepted). Files with the split attn_k_b / attn_v_b
// are used in place; older files with one attn_kv_b [kv_lora_rank, n_head * (qk_nope + v)] get
// attn_v_b as views of its rows and attn_k_b transposed once into F32 buffers of the loader.
[[nodiscard]] StatusOr<MlaWeights> LoadMlaWeights(TensorLoader& loader, const ModelConfig& config,
                                                  const std::string& prefix);

}  // namespace tokenfab::model::internal
