#include "tokenfab/fleet/model_parameters.h"

#include <filesystem>

#include <fmt/format.h>

#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/model_info.h"

namespace tokenfab::fleet {

StatusOr<bool> FillModelParametersFromGguf(ModelSource& model) {
  if (model.gguf.empty() || model.params_b > 0) return false;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model.gguf, ec)) return false;
  StatusOr<model::GgufFile> file = model::GgufFile::Open(model.gguf);
  if (!file.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("model \"{}\": {}", model.name, file.status().message()));
  }
  const model::ModelSummary summary = model::SummarizeModel(*file);
  if (summary.parameters <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("model \"{}\": {} holds no tensors", model.name, model.gguf));
  }
  model.params_b = static_cast<double>(summary.parameters) / 1e9;
  // Only a mixture of experts computes with fewer parameters than it stores (0: all).
  if (summary.active_parameters < summary.parameters) {
    model.active_params_b = static_cast<double>(summary.active_parameters) / 1e9;
  }
  model.bytes_per_weight =
      static_cast<double>(summary.tensor_bytes) / static_cast<double>(summary.parameters);
  return true;
}

}  // namespace tokenfab::fleet
