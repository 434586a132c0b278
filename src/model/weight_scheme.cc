#include "tokenfab/model/weight_scheme.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tokenfab/kernels/quantize.h"

namespace tokenfab::model {
namespace {

using kernels::GgmlType;

struct SchemeInfo {
  WeightScheme scheme;
  std::string_view name;
  uint32_t file_type;  // llama_ftype
  GgmlType base;       // the type most weights get
};

constexpr std::array<SchemeInfo, 8> kSchemes = {{
    {WeightScheme::kF32, "f32", 0, GgmlType::kF32},
    {WeightScheme::kF16, "f16", 1, GgmlType::kF16},
    {WeightScheme::kBF16, "bf16", 32, GgmlType::kBF16},
    {WeightScheme::kQ8_0, "q8_0", 7, GgmlType::kQ8_0},
    {WeightScheme::kQ4_0, "q4_0", 2, GgmlType::kQ4_0},
    {WeightScheme::kQ4_K, "q4_K", 14, GgmlType::kQ4_K},  // llama.cpp's "mostly Q4_K" (Q4_K_S)
    {WeightScheme::kQ6_K, "q6_K", 18, GgmlType::kQ6_K},
    {WeightScheme::kQ4_K_M, "q4_K_M", 15, GgmlType::kQ4_K},
}};

const SchemeInfo& Info(WeightScheme scheme) {
  for (const SchemeInfo& info : kSchemes) {
    if (info.scheme == scheme) return info;
  }
  return kSchemes[0];
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The layers llama.cpp's Q4_K_M quantises attn_v and ffn_down with more bits.
bool UseMoreBits(int64_t layer, int64_t layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

GgmlType MixType(const TensorTypeQuery& q) {
  const bool output =
      q.role == TensorRole::kOutput || (q.role == TensorRole::kTokenEmbedding && q.tied_embeddings);
  if (output) return GgmlType::kQ6_K;
  if ((q.role == TensorRole::kAttnV || q.role == TensorRole::kFfnDown) &&
      UseMoreBits(q.layer, q.layers)) {
    return GgmlType::kQ6_K;
  }
  return GgmlType::kQ4_K;
}

}  // namespace

std::string_view WeightSchemeName(WeightScheme scheme) { return Info(scheme).name; }

uint32_t WeightSchemeFileType(WeightScheme scheme) { return Info(scheme).file_type; }

std::vector<GgmlType> WeightSchemeTypes(WeightScheme scheme) {
  std::vector<GgmlType> types = {GgmlType::kF32, Info(scheme).base};
  if (scheme == WeightScheme::kQ4_K_M) types.push_back(GgmlType::kQ6_K);
  // Fallbacks for rows that do not fill whole blocks.
  types.push_back(GgmlType::kQ8_0);
  types.push_back(GgmlType::kF16);
  return types;
}

bool IsWeightSchemeAvailable(WeightScheme scheme) {
  for (GgmlType type : WeightSchemeTypes(scheme)) {
    if (!kernels::CanQuantize(type)) return false;
  }
  return true;
}

std::vector<std::string_view> AvailableWeightSchemeNames() {
  std::vector<std::string_view> names;
  for (const SchemeInfo& info : kSchemes) {
    if (IsWeightSchemeAvailable(info.scheme)) names.push_back(info.name);
  }
  return names;
}

StatusOr<WeightScheme> ParseWeightScheme(std::string_view name) {
  for (const SchemeInfo& info : kSchemes) {
    if (!EqualsIgnoreCase(info.name, name)) continue;
    if (!IsWeightSchemeAvailable(info.scheme)) {
      return absl::UnimplementedError(
          fmt::format("weight type {} cannot be written yet (no quantiser); available: {}",
                      info.name, fmt::join(AvailableWeightSchemeNames(), ", ")));
    }
    return info.scheme;
  }
  return absl::InvalidArgumentError(fmt::format("unknown weight type '{}'; available: {}", name,
                                                fmt::join(AvailableWeightSchemeNames(), ", ")));
}

GgmlType ChooseTensorType(WeightScheme scheme, const TensorTypeQuery& query) {
  if (query.role == TensorRole::kNorm || query.role == TensorRole::kBias ||
      query.role == TensorRole::kRouter) {
    return GgmlType::kF32;
  }
  GgmlType type = scheme == WeightScheme::kQ4_K_M ? MixType(query) : Info(scheme).base;
  const int64_t block = kernels::GetGgmlTypeInfo(type).block_elements;
  if (query.row_length % block != 0) {
    type = query.row_length % kernels::GetGgmlTypeInfo(GgmlType::kQ8_0).block_elements == 0
               ? GgmlType::kQ8_0
               : GgmlType::kF16;
  }
  return type;
}

}  // namespace tokenfab::model
