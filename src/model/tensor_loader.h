// TensorLoader: checked views of a GGUF file's tensors for the weight readers (internal to the
// model layer). Every error names the tensor: "tensor blk.3.attn_q.weight missing", "tensor
// blk.0.ffn_up.weight: shape [896, 4000], expected [896, 4864]", "tensor output.weight: type
// iq2_xs is not supported". 1-D tensors stored in a type other than F32 are converted into
// buffers appended to `converted` (owned by the caller, which must outlive the pointers).
// Not thread-safe (one loader per load).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/stacked_matrices.h"

namespace tokenfab::model::internal {

class TensorLoader {
 public:
  TensorLoader(const GgufFile& file, std::vector<std::unique_ptr<float[]>>& converted)
      : file_(file), converted_(converted) {}

  const GgufFile& file() const { return file_; }
  bool Has(const std::string& name) const { return file_.FindTensor(name) != nullptr; }

  // The tensor with exactly these dims (ne order).
  [[nodiscard]] StatusOr<const GgufTensorInfo*> Tensor(const std::string& name,
                                                       const std::vector<int64_t>& dims) const;
  // A 2-D matrix of `rows` rows of `cols` elements, in a type MatMul accepts.
  [[nodiscard]] StatusOr<kernels::WeightMatrix> Matrix(const std::string& name, int64_t cols,
                                                       int64_t rows) const;
  // A 3-D tensor [cols, rows, count] as `count` matrices.
  [[nodiscard]] StatusOr<StackedMatrices> Stacked(const std::string& name, int64_t cols,
                                                  int64_t rows, int64_t count) const;
  // A 1-D tensor of n floats (converted when not F32); null when optional and absent.
  [[nodiscard]] StatusOr<const float*> Vector(const std::string& name, int64_t n);
  [[nodiscard]] StatusOr<const float*> OptionalVector(const std::string& name, int64_t n);
  // A buffer of n floats owned with the converted tensors.
  float* NewBuffer(int64_t n);

 private:
  const GgufFile& file_;
  std::vector<std::unique_ptr<float[]>>& converted_;
};

}  // namespace tokenfab::model::internal
