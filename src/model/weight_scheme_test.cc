#include "tokenfab/model/weight_scheme.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/kernels/quantize.h"

namespace tokenfab::model {
namespace {

using kernels::GgmlType;
using ::testing::HasSubstr;

TensorTypeQuery Query(TensorRole role, int64_t row_length = 4096, int64_t layer = 5,
                      bool tied = true) {
  return TensorTypeQuery{.role = role,
                         .layer = layer,
                         .layers = 32,
                         .tied_embeddings = tied,
                         .row_length = row_length};
}

TEST(WeightSchemeTest, ParsesTheAvailableSchemes) {
  EXPECT_EQ(ParseWeightScheme("f16").value(), WeightScheme::kF16);
  EXPECT_EQ(ParseWeightScheme("Q8_0").value(), WeightScheme::kQ8_0);
  EXPECT_EQ(ParseWeightScheme("bf16").value(), WeightScheme::kBF16);
  EXPECT_EQ(ParseWeightScheme("q4_0").value(), WeightScheme::kQ4_0);
  EXPECT_EQ(ParseWeightScheme("f32").value(), WeightScheme::kF32);
  const Status unknown = ParseWeightScheme("q3_xyz").status();
  EXPECT_THAT(std::string(unknown.message()),
              HasSubstr("unknown weight type 'q3_xyz'; available: f32, f16, bf16, q8_0, q4_0"));
}

TEST(WeightSchemeTest, SchemesNeedTheirQuantisers) {
  const bool q4k = kernels::CanQuantize(GgmlType::kQ4_K);
  const bool q6k = kernels::CanQuantize(GgmlType::kQ6_K);
  const std::vector<std::pair<WeightScheme, bool>> cases = {
      {WeightScheme::kQ4_K, q4k}, {WeightScheme::kQ6_K, q6k}, {WeightScheme::kQ4_K_M, q4k && q6k}};
  for (const auto& [scheme, expected] : cases) {
    EXPECT_EQ(IsWeightSchemeAvailable(scheme), expected) << WeightSchemeName(scheme);
    StatusOr<WeightScheme> parsed = ParseWeightScheme(WeightSchemeName(scheme));
    EXPECT_EQ(parsed.ok(), expected);
    if (!parsed.ok()) {
      EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("no quantiser"));
    }
  }
}

TEST(WeightSchemeTest, FileTypesAreLlamaCppNumbers) {
  EXPECT_EQ(WeightSchemeFileType(WeightScheme::kF32), 0u);
  EXPECT_EQ(WeightSchemeFileType(WeightScheme::kF16), 1u);
  EXPECT_EQ(WeightSchemeFileType(WeightScheme::kQ4_0), 2u);
  EXPECT_EQ(WeightSchemeFileType(WeightScheme::kQ8_0), 7u);
  EXPECT_EQ(WeightSchemeFileType(WeightScheme::kQ4_K_M), 15u);
  EXPECT_EQ(WeightSchemeFileType(WeightScheme::kQ6_K), 18u);
  EXPECT_EQ(WeightSchemeFileType(WeightScheme::kBF16), 32u);
}

TEST(WeightSchemeTest, PlainSchemesGiveEveryWeightTheirType) {
  for (TensorRole role : {TensorRole::kTokenEmbedding, TensorRole::kOutput, TensorRole::kAttnQ,
                          TensorRole::kAttnV, TensorRole::kFfnDown}) {
    EXPECT_EQ(ChooseTensorType(WeightScheme::kQ4_0, Query(role)), GgmlType::kQ4_0);
    EXPECT_EQ(ChooseTensorType(WeightScheme::kBF16, Query(role)), GgmlType::kBF16);
  }
}

TEST(WeightSchemeTest, OneDimensionalTensorsAreF32) {
  for (WeightScheme scheme : {WeightScheme::kF16, WeightScheme::kQ4_0, WeightScheme::kQ4_K_M}) {
    EXPECT_EQ(ChooseTensorType(scheme, Query(TensorRole::kNorm)), GgmlType::kF32);
    EXPECT_EQ(ChooseTensorType(scheme, Query(TensorRole::kBias)), GgmlType::kF32);
  }
}

TEST(WeightSchemeTest, RowsThatDoNotFillBlocksFallBack) {
  EXPECT_EQ(ChooseTensorType(WeightScheme::kQ4_0, Query(TensorRole::kFfnDown, 96)),
            GgmlType::kQ4_0);
  EXPECT_EQ(ChooseTensorType(WeightScheme::kQ4_0, Query(TensorRole::kFfnDown, 100)),
            GgmlType::kF16);
  EXPECT_EQ(ChooseTensorType(WeightScheme::kQ8_0, Query(TensorRole::kAttnQ, 48)), GgmlType::kF16);
  EXPECT_EQ(ChooseTensorType(WeightScheme::kQ4_K, Query(TensorRole::kAttnQ, 896)), GgmlType::kQ8_0);
  EXPECT_EQ(ChooseTensorType(WeightScheme::kF16, Query(TensorRole::kAttnQ, 7)), GgmlType::kF16);
}

TEST(WeightSchemeTest, Q4KMGivesMoreBitsWhereLlamaCppDoes) {
  const WeightScheme m = WeightScheme::kQ4_K_M;
  EXPECT_EQ(ChooseTensorType(m, Query(TensorRole::kAttnQ)), GgmlType::kQ4_K);
  EXPECT_EQ(ChooseTensorType(m, Query(TensorRole::kOutput, 4096, -1, false)), GgmlType::kQ6_K);
  EXPECT_EQ(ChooseTensorType(m, Query(TensorRole::kTokenEmbedding, 4096, -1, true)),
            GgmlType::kQ6_K);
  EXPECT_EQ(ChooseTensorType(m, Query(TensorRole::kTokenEmbedding, 4096, -1, false)),
            GgmlType::kQ4_K);
  // 32 layers: more bits in layers 0-3, 28-31 and every third from 6.
  std::vector<int64_t> q6k_layers;
  for (int64_t layer = 0; layer < 32; ++layer) {
    const GgmlType v = ChooseTensorType(m, Query(TensorRole::kAttnV, 4096, layer));
    EXPECT_EQ(v, ChooseTensorType(m, Query(TensorRole::kFfnDown, 4096, layer)));
    if (v == GgmlType::kQ6_K) q6k_layers.push_back(layer);
  }
  EXPECT_THAT(q6k_layers,
              ::testing::ElementsAre(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31));
}

}  // namespace
}  // namespace tokenfab::model
