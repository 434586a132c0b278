#include "tokenfab/model/model_weights.h"

#include <string>

#include <fmt/format.h>

#include "tokenfab/kernels/quantize.h"

namespace tokenfab::model {
namespace {

std::string DimsString(const std::vector<int64_t>& dims) {
  return fmt::format("[{}]", fmt::join(dims, ", "));
}

StatusOr<const GgufTensorInfo*> Tensor(const GgufFile& file, const std::string& name,
                                       const std::vector<int64_t>& expected_dims) {
  const GgufTensorInfo* info = file.FindTensor(name);
  if (info == nullptr) return absl::InvalidArgumentError(fmt::format("tensor {} missing", name));
  if (info->dims != expected_dims) {
    return absl::InvalidArgumentError(fmt::format("tensor {}: shape {}, expected {}", name,
                                                  DimsString(info->dims),
                                                  DimsString(expected_dims)));
  }
  return info;
}

StatusOr<kernels::WeightMatrix> Matrix(const GgufFile& file, const std::string& name, int64_t cols,
                                       int64_t rows) {
  TF_ASSIGN_OR_RETURN(const GgufTensorInfo* info, Tensor(file, name, {cols, rows}));
  if (!kernels::CanMatMul(info->type)) {
    return absl::UnimplementedError(
        fmt::format("tensor {}: type {} is not supported", name,
                    kernels::GetGgmlTypeInfo(info->type).name));
  }
  return kernels::WeightMatrix::Dense(info->type, info->data, cols, rows);
}

// Loads one 1-D float tensor, converting it when the file stores it as F16/BF16/...
class VectorLoader {
 public:
  VectorLoader(const GgufFile& file, std::vector<std::unique_ptr<float[]>>& converted)
      : file_(file), converted_(converted) {}

  StatusOr<const float*> Load(const std::string& name, int64_t n) {
    TF_ASSIGN_OR_RETURN(const GgufTensorInfo* info, Tensor(file_, name, {n}));
    if (info->type == kernels::GgmlType::kF32) return reinterpret_cast<const float*>(info->data);
    if (!kernels::CanDequantize(info->type) ||
        n % kernels::GetGgmlTypeInfo(info->type).block_elements != 0) {
      return absl::UnimplementedError(fmt::format(
          "tensor {}: type {} is not supported", name, kernels::GetGgmlTypeInfo(info->type).name));
    }
    auto values = std::make_unique<float[]>(n);
    kernels::DequantizeRow(info->type, info->data, values.get(), n);
    converted_.push_back(std::move(values));
    return converted_.back().get();
  }

  StatusOr<const float*> LoadOptional(const std::string& name, int64_t n) {
    if (file_.FindTensor(name) == nullptr) return nullptr;
    return Load(name, n);
  }

 private:
  const GgufFile& file_;
  std::vector<std::unique_ptr<float[]>>& converted_;
};

}  // namespace

StatusOr<ModelWeights> ModelWeights::FromGguf(const GgufFile& file, const ModelConfig& c) {
  ModelWeights w;
  VectorLoader vectors(file, w.converted_);
  TF_ASSIGN_OR_RETURN(w.token_embd_, Matrix(file, "token_embd.weight", c.n_embd, c.n_vocab));
  if (!kernels::CanDequantize(w.token_embd_.type)) {
    return absl::UnimplementedError(
        fmt::format("tensor token_embd.weight: type {} cannot be read",
                    kernels::GetGgmlTypeInfo(w.token_embd_.type).name));
  }
  if (c.tied_output) {
    w.output_ = w.token_embd_;
  } else {
    TF_ASSIGN_OR_RETURN(w.output_, Matrix(file, "output.weight", c.n_embd, c.n_vocab));
  }
  TF_ASSIGN_OR_RETURN(w.output_norm_, vectors.Load("output_norm.weight", c.n_embd));
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    LayerWeights l;
    TF_ASSIGN_OR_RETURN(l.attn_norm, vectors.Load(p + "attn_norm.weight", c.n_embd));
    TF_ASSIGN_OR_RETURN(l.wq, Matrix(file, p + "attn_q.weight", c.n_embd, c.q_dim()));
    TF_ASSIGN_OR_RETURN(l.wk, Matrix(file, p + "attn_k.weight", c.n_embd, c.kv_dim()));
    TF_ASSIGN_OR_RETURN(l.wv, Matrix(file, p + "attn_v.weight", c.n_embd, c.kv_dim()));
    TF_ASSIGN_OR_RETURN(l.wo, Matrix(file, p + "attn_output.weight", c.q_dim(), c.n_embd));
    if (c.has_qkv_bias) {
      TF_ASSIGN_OR_RETURN(l.bq, vectors.Load(p + "attn_q.bias", c.q_dim()));
      TF_ASSIGN_OR_RETURN(l.bk, vectors.Load(p + "attn_k.bias", c.kv_dim()));
      TF_ASSIGN_OR_RETURN(l.bv, vectors.Load(p + "attn_v.bias", c.kv_dim()));
    }
    TF_ASSIGN_OR_RETURN(l.ffn_norm, vectors.Load(p + "ffn_norm.weight", c.n_embd));
    TF_ASSIGN_OR_RETURN(l.w_gate, Matrix(file, p + "ffn_gate.weight", c.n_embd, c.n_ff));
    TF_ASSIGN_OR_RETURN(l.w_up, Matrix(file, p + "ffn_up.weight", c.n_embd, c.n_ff));
    TF_ASSIGN_OR_RETURN(l.w_down, Matrix(file, p + "ffn_down.weight", c.n_ff, c.n_embd));
    w.layers_.push_back(l);
  }
  return w;
}

int64_t ModelWeights::DecodeWeightBytes() const {
  auto bytes = [](const kernels::WeightMatrix& m) { return m.rows * m.row_bytes; };
  int64_t total = bytes(output_);
  for (const LayerWeights& l : layers_) {
    total += bytes(l.wq) + bytes(l.wk) + bytes(l.wv) + bytes(l.wo) + bytes(l.w_gate) +
             bytes(l.w_up) + bytes(l.w_down);
  }
  return total;
}

}  // namespace tokenfab::model
