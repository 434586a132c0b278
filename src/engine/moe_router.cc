#include "moe_router.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tokenfab::engine {
namespace {

// Minimum of the weight sum before normalising (llama.cpp clamps to F16's smallest normal).
constexpr float kMinWeightSum = 6.103515625e-5f;

void Probabilities(model::ExpertGating gating, const float* logits, int64_t n, float* probs) {
  if (gating == model::ExpertGating::kSigmoid) {
    for (int64_t e = 0; e < n; ++e) probs[e] = 1.0f / (1.0f + std::exp(-logits[e]));
    return;
  }
  const float max = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int64_t e = 0; e < n; ++e) {
    probs[e] = std::exp(logits[e] - max);
    sum += probs[e];
  }
  for (int64_t e = 0; e < n; ++e) probs[e] = static_cast<float>(probs[e] / sum);
}

// Better selection score first; equal scores: lower index first.
struct ByScore {
  const float* score;
  bool operator()(int32_t a, int32_t b) const {
    return score[a] > score[b] || (score[a] == score[b] && a < b);
  }
};

// Masks (to -inf) the experts outside the n_group_used groups whose two best scores sum highest.
void LimitGroups(const model::MoeConfig& c, float* selection, std::vector<int32_t>& order) {
  const int64_t per_group = c.n_expert / c.n_group;
  std::vector<float> group_score(c.n_group);
  for (int64_t g = 0; g < c.n_group; ++g) {
    const float* s = selection + g * per_group;
    float best = -std::numeric_limits<float>::infinity(), second = best;
    for (int64_t i = 0; i < per_group; ++i) {
      if (s[i] > best) {
        second = best;
        best = s[i];
      } else if (s[i] > second) {
        second = s[i];
      }
    }
    group_score[g] = best + second;
  }
  order.resize(c.n_group);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + c.n_group_used, order.end(),
                    ByScore{group_score.data()});
  std::vector<bool> keep(c.n_group, false);
  for (int64_t i = 0; i < c.n_group_used; ++i) keep[order[i]] = true;
  for (int64_t g = 0; g < c.n_group; ++g) {
    if (keep[g]) continue;
    std::fill_n(selection + g * per_group, per_group, -std::numeric_limits<float>::infinity());
  }
}

}  // namespace

void RouteTokens(const model::MoeConfig& c, const float* logits, const float* bias,
                 int64_t n_tokens, std::vector<ExpertChoice>& out) {
  const int64_t n = c.n_expert;
  const int64_t k = c.n_expert_used;
  out.resize(n_tokens * k);
  std::vector<float> probs(n), selection(n);
  std::vector<int32_t> order(n), group_order;
  for (int64_t t = 0; t < n_tokens; ++t) {
    Probabilities(c.gating, logits + t * n, n, probs.data());
    for (int64_t e = 0; e < n; ++e) selection[e] = probs[e] + (bias ? bias[e] : 0.0f);
    if (c.n_group > 1) LimitGroups(c, selection.data(), group_order);
    order.resize(n);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), ByScore{selection.data()});
    ExpertChoice* choice = out.data() + t * k;
    float sum = 0;
    for (int64_t i = 0; i < k; ++i) {
      choice[i] = ExpertChoice{order[i], probs[order[i]]};
      sum += choice[i].weight;
    }
    const float scale =
        c.weights_norm ? c.weights_scale / std::max(sum, kMinWeightSum) : c.weights_scale;
    for (int64_t i = 0; i < k; ++i) choice[i].weight *= scale;
  }
}

}  // namespace tokenfab::engine
