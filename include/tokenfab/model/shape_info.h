// ShapeSummary: what `tokenfab model info --shape NAME` shows about a named shape without
// writing a file (the real sizes, deepseek-v3 or kimi-k2, are far larger than any test machine):
// parameters in total and per token, experts, KV cache bytes per token, and the tensor data size
// of the file each weight type would give. Counted over the tensors `model create` would write
// (PlanModelTensors), so they agree with `model info FILE` on a created file.
//
// Plain values; the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/model/model_spec.h"
#include "tokenfab/model/weight_scheme.h"

namespace tokenfab::model {

struct ShapeFileSize {
  WeightScheme scheme;
  uint64_t bytes = 0;  // tensor data; the metadata and vocabulary add a few MiB
};

struct ShapeSummary {
  NamedShape named;
  int64_t vocab_size = 0;
  int64_t parameters = 0;  // elements of every tensor
  // Parameters one token computes with: all, less the routed experts it is not sent to (as
  // ModelSummary::active_parameters counts them on a file).
  int64_t active_parameters = 0;
  int64_t kv_bytes_per_token = 0;         // at F16; latent attention: the compressed row
  std::vector<ShapeFileSize> file_sizes;  // every available weight scheme
};

// REQUIRES: vocab_size >= 1. Errors: a shape that does not validate.
[[nodiscard]] StatusOr<ShapeSummary> SummarizeShape(const NamedShape& named, int64_t vocab_size);

// A human-readable report, one "label  value" line per item, and the same as a JSON object.
std::string FormatShapeSummary(const ShapeSummary& summary);
std::string ShapeSummaryToJson(const ShapeSummary& summary);

}  // namespace tokenfab::model
