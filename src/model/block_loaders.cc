#include "block_loaders.h"

#include <vector>

#include "tokenfab/kernels/quantize.h"

namespace tokenfab::model::internal {
namespace {

// attn_k_b from a legacy attn_kv_b: head h's rows [h * (nope + v), + nope) are W_UK_h
// [nope rows, kv_lora cols]; absorbing the query needs its transpose [kv_lora rows, nope cols].
StatusOr<StackedMatrices> TransposeKeyHeads(TensorLoader& loader, const kernels::WeightMatrix& kv_b,
                                            const MlaConfig& m, int64_t n_head) {
  const int64_t head_rows = m.qk_nope + m.v_head_dim;
  float* out = loader.NewBuffer(n_head * m.kv_lora_rank * m.qk_nope);
  std::vector<float> row(m.kv_lora_rank);
  for (int64_t h = 0; h < n_head; ++h) {
    float* head = out + h * m.kv_lora_rank * m.qk_nope;
    for (int64_t j = 0; j < m.qk_nope; ++j) {
      const auto* src =
          static_cast<const uint8_t*>(kv_b.data) + (h * head_rows + j) * kv_b.row_bytes;
      kernels::DequantizeRow(kv_b.type, src, row.data(), m.kv_lora_rank);
      for (int64_t c = 0; c < m.kv_lora_rank; ++c) head[c * m.qk_nope + j] = row[c];
    }
  }
  StackedMatrices k_b;
  k_b.first = kernels::WeightMatrix::Dense(kernels::GgmlType::kF32, out, m.qk_nope, m.kv_lora_rank);
  k_b.stride = k_b.MatrixBytes();
  k_b.count = n_head;
  return k_b;
}

Status LoadLegacyKvB(TensorLoader& loader, const ModelConfig& c, const std::string& p,
                     MlaWeights& w) {
  const MlaConfig& m = c.mla;
  const std::string name = p + "attn_kv_b.weight";
  TF_ASSIGN_OR_RETURN(kernels::WeightMatrix kv_b,
                      loader.Matrix(name, m.kv_lora_rank, c.n_head * (m.qk_nope + m.v_head_dim)));
  if (!kernels::CanDequantize(kv_b.type)) {
    return absl::UnimplementedError("tensor " + name + ": type cannot be read");
  }
  TF_ASSIGN_OR_RETURN(w.k_b, TransposeKeyHeads(loader, kv_b, m, c.n_head));
  w.v_b.first = kv_b;
  w.v_b.first.rows = m.v_head_dim;
  w.v_b.first.data = static_cast<const uint8_t*>(kv_b.data) + m.qk_nope * kv_b.row_bytes;
  w.v_b.stride = (m.qk_nope + m.v_head_dim) * kv_b.row_bytes;
  w.v_b.count = c.n_head;
  return absl::OkStatus();
}

}  // namespace

StatusOr<MoeWeights> LoadMoeWeights(TensorLoader& loader, const ModelConfig& c,
                                    const std::string& p) {
  const MoeConfig& m = c.moe;
  MoeWeights w;
  TF_ASSIGN_OR_RETURN(w.router, loader.Matrix(p + "ffn_gate_inp.weight", c.n_embd, m.n_expert));
  TF_ASSIGN_OR_RETURN(w.selection_bias, loader.OptionalVector(p + "exp_probs_b.bias", m.n_expert));
  if (c.arch == Architecture::kGlm4Moe && w.selection_bias == nullptr) {
    return absl::InvalidArgumentError("tensor " + p + "exp_probs_b.bias missing");
  }
  TF_ASSIGN_OR_RETURN(w.gate,
                      loader.Stacked(p + "ffn_gate_exps.weight", c.n_embd, m.n_ff_exp, m.n_expert));
  TF_ASSIGN_OR_RETURN(w.up,
                      loader.Stacked(p + "ffn_up_exps.weight", c.n_embd, m.n_ff_exp, m.n_expert));
  TF_ASSIGN_OR_RETURN(w.down,
                      loader.Stacked(p + "ffn_down_exps.weight", m.n_ff_exp, c.n_embd, m.n_expert));
  if (m.n_expert_shared > 0) {
    const int64_t ff = m.shared_ff();
    TF_ASSIGN_OR_RETURN(w.shared_gate, loader.Matrix(p + "ffn_gate_shexp.weight", c.n_embd, ff));
    TF_ASSIGN_OR_RETURN(w.shared_up, loader.Matrix(p + "ffn_up_shexp.weight", c.n_embd, ff));
    TF_ASSIGN_OR_RETURN(w.shared_down, loader.Matrix(p + "ffn_down_shexp.weight", ff, c.n_embd));
  }
  return w;
}

StatusOr<MlaWeights> LoadMlaWeights(TensorLoader& loader, const ModelConfig& c,
                                    const std::string& p) {
  const MlaConfig& m = c.mla;
  MlaWeights w;
  if (m.q_lora_rank > 0) {
    TF_ASSIGN_OR_RETURN(w.wq_a, loader.Matrix(p + "attn_q_a.weight", c.n_embd, m.q_lora_rank));
    TF_ASSIGN_OR_RETURN(w.q_a_norm, loader.Vector(p + "attn_q_a_norm.weight", m.q_lora_rank));
    TF_ASSIGN_OR_RETURN(w.wq_b, loader.Matrix(p + "attn_q_b.weight", m.q_lora_rank, c.q_dim()));
  } else {
    TF_ASSIGN_OR_RETURN(w.wq, loader.Matrix(p + "attn_q.weight", c.n_embd, c.q_dim()));
  }
  TF_ASSIGN_OR_RETURN(w.wkv_a, loader.Matrix(p + "attn_kv_a_mqa.weight", c.n_embd, m.latent_dim()));
  TF_ASSIGN_OR_RETURN(w.kv_a_norm, loader.Vector(p + "attn_kv_a_norm.weight", m.kv_lora_rank));
  if (!m.split_kv_b) {
    TF_RETURN_IF_ERROR(LoadLegacyKvB(loader, c, p, w));
    return w;
  }
  TF_ASSIGN_OR_RETURN(w.k_b,
                      loader.Stacked(p + "attn_k_b.weight", m.qk_nope, m.kv_lora_rank, c.n_head));
  TF_ASSIGN_OR_RETURN(
      w.v_b, loader.Stacked(p + "attn_v_b.weight", m.kv_lora_rank, m.v_head_dim, c.n_head));
  return w;
}

}  // namespace tokenfab::model::internal
