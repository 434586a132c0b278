#include "tokenfab/model/shape_info.h"

#include <gtest/gtest.h>

namespace tokenfab::model {
namespace {

struct Published {
  std::string_view shape;
  int64_t vocab_size;  // the real model's vocabulary (the figures count its embeddings)
  double total, active;
};

// The parameter counts the model makers publish, an independent check of the named shapes
// and of the counting. The published figures are rounded to two or three digits ("37 B",
// "3.3 B", "1.04 T"), and the makers count embeddings into "active" differently (Qwen counts
// both embedding matrices, DeepSeek and Moonshot round to a figure between with and without
// the input embedding, GLM's 32 B leaves both out): totals must be within 1.5 %, active
// counts within 6 % (a forgotten shared expert or a wrong experts-per-token is 8 % or more).
TEST(ShapeInfoTest, RealShapesHaveTheirPublishedParameterCounts) {
  for (const Published& p :
       {Published{"deepseek-v3", 129280, 671e9, 37e9},
        Published{"qwen3-30b-a3b", 151936, 30.5e9, 3.3e9},
        Published{"kimi-k2", 163840, 1.04e12, 32e9}, Published{"glm-4.5", 151552, 355e9, 32e9}}) {
    SCOPED_TRACE(p.shape);
    StatusOr<NamedShape> named = FindNamedShape(p.shape);
    ASSERT_TRUE(named.ok()) << named.status();
    StatusOr<ShapeSummary> s = SummarizeShape(*named, p.vocab_size);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_NEAR(s->parameters / p.total, 1.0, 0.015) << s->parameters;
    EXPECT_NEAR(s->active_parameters / p.active, 1.0, 0.06) << s->active_parameters;
  }
}

TEST(ShapeInfoTest, KvBytesAndFileSizesFollowTheShape) {
  StatusOr<ShapeSummary> v3 = SummarizeShape(*FindNamedShape("deepseek-v3"), 129280);
  ASSERT_TRUE(v3.ok()) << v3.status();
  // The paper's latent cache: (512 + 64) elements per layer and token, 61 layers, 2 bytes.
  EXPECT_EQ(v3->kv_bytes_per_token, 576 * 61 * 2);
  StatusOr<ShapeSummary> qwen = SummarizeShape(*FindNamedShape("qwen3-30b-a3b"), 151936);
  ASSERT_TRUE(qwen.ok()) << qwen.status();
  EXPECT_EQ(qwen->kv_bytes_per_token, 48 * 4 * 128 * 2 * 2);  // 4 KV heads of 128, K and V
  uint64_t f16 = 0, q8 = 0, q4_k_m = 0;
  for (const ShapeFileSize& f : v3->file_sizes) {
    if (f.scheme == WeightScheme::kF16) f16 = f.bytes;
    if (f.scheme == WeightScheme::kQ8_0) q8 = f.bytes;
    if (f.scheme == WeightScheme::kQ4_K_M) q4_k_m = f.bytes;
  }
  // F16 is two bytes a weight (the F32 norms and routers are a rounding error); Q8_0 34 bytes
  // per 32 weights; DeepSeek-V3 in Q4_K_M is published at about 404 GB.
  EXPECT_NEAR(static_cast<double>(f16) / (2.0 * v3->parameters), 1.0, 0.001);
  EXPECT_NEAR(static_cast<double>(q8) / (34.0 / 32 * v3->parameters), 1.0, 0.002);
  EXPECT_NEAR(q4_k_m / 404e9, 1.0, 0.03) << q4_k_m;
}

}  // namespace
}  // namespace tokenfab::model
