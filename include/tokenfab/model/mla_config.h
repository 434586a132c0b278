// MlaConfig: the multi-head latent attention hyper-parameters of a deepseek2 model (DeepSeek V2,
// V3, R1, Kimi K2), read from the GGUF keys llama.cpp writes. A plain value; kv_lora_rank == 0
// means ordinary attention.
//
// Per token, attention keeps one compressed latent row of kv_lora_rank + n_rot elements (the
// normed c_kv followed by the rotated shared key k_pe); each head's key is W_UK c_kv ++ k_pe and
// its value W_UV c_kv. The query of head h is q_nope (qk_nope elements) ++ q_pe (n_rot), from
// attn_q or, with q_lora_rank > 0, attn_q_b(norm(attn_q_a x)).
//
// Keys (current llama.cpp, MLA layout): deepseek2.attention.kv_lora_rank, q_lora_rank (absent or
// 0: no query compression, as in V2-Lite), key_length = kv_lora_rank + n_rot, value_length =
// kv_lora_rank, key_length_mla = qk_nope + n_rot, value_length_mla = v_head_dim,
// rope.dimension_count = n_rot. Older files have no *_mla keys: key_length = qk_nope + n_rot and
// value_length = v_head_dim.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/model/gguf_file.h"

namespace tokenfab::model {

struct MlaConfig {
  int64_t q_lora_rank = 0;   // 0: queries from attn_q directly
  int64_t kv_lora_rank = 0;  // latent width; 0: not MLA
  int64_t qk_nope = 0;       // per-head query/key elements without RoPE
  int64_t qk_rope = 0;       // per-head RoPE elements (rope.dimension_count)
  int64_t v_head_dim = 0;    // per-head value elements
  bool split_kv_b = true;    // attn_k_b / attn_v_b (current llama.cpp) rather than attn_kv_b

  bool enabled() const { return kv_lora_rank > 0; }
  int64_t qk_head_dim() const { return qk_nope + qk_rope; }      // query head length
  int64_t latent_dim() const { return kv_lora_rank + qk_rope; }  // cached elements per token

  // Reads the keys under `prefix` ("deepseek2."). Errors name the key and what is inconsistent.
  [[nodiscard]] static StatusOr<MlaConfig> FromGguf(const GgufFile& file, std::string_view prefix);
};

}  // namespace tokenfab::model
