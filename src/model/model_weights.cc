#include "tokenfab/model/model_weights.h"

#include <string>

#include <fmt/format.h>

#include "block_loaders.h"
#include "tensor_loader.h"
#include "tokenfab/kernels/quantize.h"

namespace tokenfab::model {
namespace {

using internal::TensorLoader;

Status LoadAttention(TensorLoader& t, const ModelConfig& c, const std::string& p, LayerWeights& l) {
  if (c.mla.enabled()) {
    TF_ASSIGN_OR_RETURN(l.mla, internal::LoadMlaWeights(t, c, p));
  } else {
    TF_ASSIGN_OR_RETURN(l.wq, t.Matrix(p + "attn_q.weight", c.n_embd, c.q_dim()));
    TF_ASSIGN_OR_RETURN(l.wk, t.Matrix(p + "attn_k.weight", c.n_embd, c.kv_dim()));
    TF_ASSIGN_OR_RETURN(l.wv, t.Matrix(p + "attn_v.weight", c.n_embd, c.kv_dim()));
    if (c.has_qkv_bias) {
      TF_ASSIGN_OR_RETURN(l.bq, t.Vector(p + "attn_q.bias", c.q_dim()));
      TF_ASSIGN_OR_RETURN(l.bk, t.Vector(p + "attn_k.bias", c.kv_dim()));
      TF_ASSIGN_OR_RETURN(l.bv, t.Vector(p + "attn_v.bias", c.kv_dim()));
    }
    if (c.has_qk_norm) {
      TF_ASSIGN_OR_RETURN(l.q_norm, t.Vector(p + "attn_q_norm.weight", c.head_dim));
      TF_ASSIGN_OR_RETURN(l.k_norm, t.Vector(p + "attn_k_norm.weight", c.head_dim));
    }
  }
  TF_ASSIGN_OR_RETURN(l.wo, t.Matrix(p + "attn_output.weight", c.attn_out_dim(), c.n_embd));
  return absl::OkStatus();
}

Status LoadFeedForward(TensorLoader& t, const ModelConfig& c, int64_t layer, const std::string& p,
                       LayerWeights& l) {
  const char* norm =
      c.arch == Architecture::kGlm4Moe ? "post_attention_norm.weight" : "ffn_norm.weight";
  TF_ASSIGN_OR_RETURN(l.ffn_norm, t.Vector(p + norm, c.n_embd));
  if (c.moe.IsMoeLayer(layer)) {
    l.is_moe = true;
    TF_ASSIGN_OR_RETURN(l.moe, internal::LoadMoeWeights(t, c, p));
    return absl::OkStatus();
  }
  TF_ASSIGN_OR_RETURN(l.w_gate, t.Matrix(p + "ffn_gate.weight", c.n_embd, c.n_ff));
  TF_ASSIGN_OR_RETURN(l.w_up, t.Matrix(p + "ffn_up.weight", c.n_embd, c.n_ff));
  TF_ASSIGN_OR_RETURN(l.w_down, t.Matrix(p + "ffn_down.weight", c.n_ff, c.n_embd));
  return absl::OkStatus();
}

}  // namespace

StatusOr<ModelWeights> ModelWeights::FromGguf(const GgufFile& file, const ModelConfig& c) {
  ModelWeights w;
  w.experts_used_ = c.moe.n_expert_used;
  TensorLoader t(file, w.converted_);
  TF_ASSIGN_OR_RETURN(w.token_embd_, t.Matrix("token_embd.weight", c.n_embd, c.n_vocab));
  if (!kernels::CanDequantize(w.token_embd_.type)) {
    return absl::UnimplementedError(fmt::format("tensor token_embd.weight: type {} cannot be read",
                                                kernels::GetGgmlTypeInfo(w.token_embd_.type).name));
  }
  if (c.tied_output) {
    w.output_ = w.token_embd_;
  } else {
    TF_ASSIGN_OR_RETURN(w.output_, t.Matrix("output.weight", c.n_embd, c.n_vocab));
  }
  TF_ASSIGN_OR_RETURN(w.output_norm_, t.Vector("output_norm.weight", c.n_embd));
  // Multi-token-prediction blocks (n_layer_nextn, after the n_layer run) are not loaded.
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    LayerWeights l;
    TF_ASSIGN_OR_RETURN(l.attn_norm, t.Vector(p + "attn_norm.weight", c.n_embd));
    TF_RETURN_IF_ERROR(LoadAttention(t, c, p, l));
    TF_RETURN_IF_ERROR(LoadFeedForward(t, c, i, p, l));
    w.layers_.push_back(l);
  }
  return w;
}

int64_t ModelWeights::DecodeWeightBytes() const {
  auto bytes = [](const kernels::WeightMatrix& m) { return m.rows * m.row_bytes; };
  auto stacked = [](const StackedMatrices& m) { return m.MatrixBytes(); };
  int64_t total = bytes(output_);
  for (const LayerWeights& l : layers_) {
    total += bytes(l.wq) + bytes(l.wk) + bytes(l.wv) + bytes(l.wo) + bytes(l.w_gate) +
             bytes(l.w_up) + bytes(l.w_down);
    total += bytes(l.mla.wq_a) + bytes(l.mla.wq_b) + bytes(l.mla.wq) + bytes(l.mla.wkv_a) +
             stacked(l.mla.k_b) * l.mla.k_b.count + stacked(l.mla.v_b) * l.mla.v_b.count;
    if (l.is_moe) {
      const MoeWeights& m = l.moe;
      total += bytes(m.router) + bytes(m.shared_gate) + bytes(m.shared_up) + bytes(m.shared_down) +
               experts_used_ * (stacked(m.gate) + stacked(m.up) + stacked(m.down));
    }
  }
  return total;
}

}  // namespace tokenfab::model
