#include "tensor_loader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tokenfab/kernels/quantize.h"

namespace tokenfab::model::internal {
namespace {

std::string DimsString(const std::vector<int64_t>& dims) {
  return fmt::format("[{}]", fmt::join(dims, ", "));
}

Status Unsupported(const std::string& name, kernels::GgmlType type) {
  return absl::UnimplementedError(fmt::format("tensor {}: type {} is not supported", name,
                                              kernels::GetGgmlTypeInfo(type).name));
}

}  // namespace

StatusOr<const GgufTensorInfo*> TensorLoader::Tensor(const std::string& name,
                                                     const std::vector<int64_t>& dims) const {
  const GgufTensorInfo* info = file_.FindTensor(name);
  if (info == nullptr) return absl::InvalidArgumentError(fmt::format("tensor {} missing", name));
  if (info->dims != dims) {
    return absl::InvalidArgumentError(fmt::format("tensor {}: shape {}, expected {}", name,
                                                  DimsString(info->dims), DimsString(dims)));
  }
  return info;
}

StatusOr<kernels::WeightMatrix> TensorLoader::Matrix(const std::string& name, int64_t cols,
                                                     int64_t rows) const {
  TF_ASSIGN_OR_RETURN(const GgufTensorInfo* info, Tensor(name, {cols, rows}));
  if (!kernels::CanMatMul(info->type)) return Unsupported(name, info->type);
  return kernels::WeightMatrix::Dense(info->type, info->data, cols, rows);
}

StatusOr<StackedMatrices> TensorLoader::Stacked(const std::string& name, int64_t cols, int64_t rows,
                                                int64_t count) const {
  TF_ASSIGN_OR_RETURN(const GgufTensorInfo* info, Tensor(name, {cols, rows, count}));
  if (!kernels::CanMatMul(info->type)) return Unsupported(name, info->type);
  StackedMatrices m;
  m.first = kernels::WeightMatrix::Dense(info->type, info->data, cols, rows);
  m.stride = m.MatrixBytes();
  m.count = count;
  return m;
}

StatusOr<const float*> TensorLoader::Vector(const std::string& name, int64_t n) {
  TF_ASSIGN_OR_RETURN(const GgufTensorInfo* info, Tensor(name, {n}));
  if (info->type == kernels::GgmlType::kF32) return reinterpret_cast<const float*>(info->data);
  if (!kernels::CanDequantize(info->type) ||
      n % kernels::GetGgmlTypeInfo(info->type).block_elements != 0) {
    return Unsupported(name, info->type);
  }
  float* values = NewBuffer(n);
  kernels::DequantizeRow(info->type, info->data, values, n);
  return values;
}

StatusOr<const float*> TensorLoader::OptionalVector(const std::string& name, int64_t n) {
  if (!Has(name)) return nullptr;
  return Vector(name, n);
}

float* TensorLoader::NewBuffer(int64_t n) {
  converted_.push_back(std::make_unique<float[]>(n));
  return converted_.back().get();
}

}  // namespace tokenfab::model::internal
