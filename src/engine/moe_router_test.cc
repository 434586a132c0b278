#include "moe_router.h"

#include <cmath>

#include <gtest/gtest.h>

namespace tokenfab::engine {
namespace {

model::MoeConfig Config(int64_t experts, int64_t used) {
  model::MoeConfig c;
  c.n_expert = experts;
  c.n_expert_used = used;
  c.n_ff_exp = 8;
  return c;
}

std::vector<ExpertChoice> Route(const model::MoeConfig& c, const std::vector<float>& logits,
                                const float* bias = nullptr) {
  std::vector<ExpertChoice> out;
  RouteTokens(c, logits.data(), bias, static_cast<int64_t>(logits.size()) / c.n_expert, out);
  return out;
}

TEST(MoeRouterTest, SoftmaxPicksTheLargestLogitsWithTheirProbabilities) {
  const model::MoeConfig c = Config(4, 2);
  const std::vector<float> logits = {0.0f, 2.0f, -1.0f, 1.0f};
  const std::vector<ExpertChoice> got = Route(c, logits);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].expert, 1);
  EXPECT_EQ(got[1].expert, 3);
  const double sum = std::exp(0.0) + std::exp(2.0) + std::exp(-1.0) + std::exp(1.0);
  EXPECT_NEAR(got[0].weight, std::exp(2.0) / sum, 1e-6);  // not normalised over the chosen
  EXPECT_NEAR(got[1].weight, std::exp(1.0) / sum, 1e-6);
}

TEST(MoeRouterTest, NormalisedAndScaledWeights) {
  model::MoeConfig c = Config(4, 2);
  c.weights_norm = true;
  c.weights_scale = 2.5f;
  const std::vector<ExpertChoice> got = Route(c, {0.0f, 2.0f, -1.0f, 1.0f});
  const double e2 = std::exp(2.0), e1 = std::exp(1.0);
  EXPECT_NEAR(got[0].weight, 2.5 * e2 / (e2 + e1), 1e-5);
  EXPECT_NEAR(got[1].weight, 2.5 * e1 / (e2 + e1), 1e-5);
}

TEST(MoeRouterTest, SigmoidBiasChoosesButDoesNotWeigh) {
  model::MoeConfig c = Config(4, 1);
  c.gating = model::ExpertGating::kSigmoid;
  // Expert 0 has the best score, but expert 2's bias lifts it above.
  const std::vector<float> logits = {1.0f, 0.0f, 0.5f, -1.0f};
  const std::vector<float> bias = {0.0f, 0.0f, 0.3f, 0.0f};
  const std::vector<ExpertChoice> got = Route(c, logits, bias.data());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].expert, 2);
  EXPECT_NEAR(got[0].weight, 1.0 / (1.0 + std::exp(-0.5)), 1e-6);  // the unbiased sigmoid
}

TEST(MoeRouterTest, GroupLimitedRoutingKeepsTheBestGroups) {
  // 8 experts in 4 groups of 2; 2 groups used, 2 experts per token. Group scores (sum of the
  // two): g0 = 0.9 + 0.0, g1 = 0.5 + 0.5, g2 = 0.95 + 0.01, g3 = 0.2 + 0.2. Best groups: g1 (1.0)
  // and g2 (0.96): expert 0 (0.9, the second best score) is out; 4 (0.95) and 2 or 3 (0.5,
  // ties to the lower index) are chosen.
  model::MoeConfig c = Config(8, 2);
  c.gating = model::ExpertGating::kSigmoid;
  c.n_group = 4;
  c.n_group_used = 2;
  const std::vector<float> probs = {0.9f, 0.0f, 0.5f, 0.5f, 0.95f, 0.01f, 0.2f, 0.2f};
  std::vector<float> logits;
  for (float p : probs) logits.push_back(p <= 0 ? -30.0f : std::log(p / (1 - p)));
  const std::vector<ExpertChoice> got = Route(c, logits);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].expert, 4);
  EXPECT_EQ(got[1].expert, 2);
  // Without groups, expert 0 would be second.
  c.n_group = 1;
  EXPECT_EQ(Route(c, logits)[1].expert, 0);
}

TEST(MoeRouterTest, EachTokenIsRoutedOnItsOwn) {
  const model::MoeConfig c = Config(4, 1);
  const std::vector<float> two = {0.0f, 0.0f, 3.0f, 0.0f, 5.0f, 0.0f, 0.0f, 0.0f};
  const std::vector<ExpertChoice> got = Route(c, two);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].expert, 2);
  EXPECT_EQ(got[1].expert, 0);
  // Equal logits: the lower index wins.
  EXPECT_EQ(Route(c, {1.0f, 1.0f, 1.0f, 1.0f})[0].expert, 0);
}

}  // namespace
}  // namespace tokenfab::engine
