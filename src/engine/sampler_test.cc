#include "tokenfab/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/random.h"

namespace tokenfab::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

SampleResult SampleOnce(Sampler& sampler, std::vector<float> logits,
                        const std::vector<Token>& tokens = {}, int num_prompt = 0) {
  auto result = sampler.Sample(logits, tokens, num_prompt);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : SampleResult{};
}

std::vector<int> Counts(Sampler& sampler, const std::vector<float>& logits, int draws,
                        const std::vector<Token>& tokens = {}, int num_prompt = 0) {
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i) ++counts[SampleOnce(sampler, logits, tokens, num_prompt).token];
  return counts;
}

// The documented chain written the slow, obvious way: full sort, explicit renormalisation.
std::vector<double> ReferenceDistribution(std::vector<float> l, const SamplingParams& p,
                                          const std::vector<Token>& tokens, int num_prompt) {
  const int n = static_cast<int>(l.size());
  if (p.repetition_penalty != 1.0f && p.repetition_last_n != 0) {
    const int start = p.repetition_last_n < 0
                          ? 0
                          : std::max(0, static_cast<int>(tokens.size()) - p.repetition_last_n);
    std::vector<bool> seen(n, false);
    for (int i = start; i < static_cast<int>(tokens.size()); ++i) {
      const Token t = tokens[i];
      if (seen[t]) continue;
      seen[t] = true;
      l[t] = l[t] > 0 ? l[t] / p.repetition_penalty : l[t] * p.repetition_penalty;
    }
  }
  std::vector<int> count(n, 0);
  for (int i = num_prompt; i < static_cast<int>(tokens.size()); ++i) ++count[tokens[i]];
  for (int t = 0; t < n; ++t) {
    if (count[t] > 0) l[t] -= p.frequency_penalty * count[t] + p.presence_penalty;
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
  std::vector<double> probs(n, 0.0);
  if (p.IsGreedy()) {
    probs[order[0]] = 1;
    return probs;
  }
  std::vector<int> keep(order.begin(), order.begin() + (p.top_k > 0 ? std::min(p.top_k, n) : n));
  if (p.top_p < 1) {
    double z = 0;
    for (int t : keep) z += std::exp(double(l[t]));
    double cum = 0;
    size_t cut = keep.size();
    for (size_t i = 0; i < keep.size(); ++i) {
      cum += std::exp(double(l[keep[i]])) / z;
      if (cum >= p.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep.resize(cut);
  }
  if (p.min_p > 0) {
    const double pmax = std::exp(double(l[keep[0]]));
    std::erase_if(keep, [&](int t) { return std::exp(double(l[t])) < p.min_p * pmax; });
  }
  double z = 0;
  for (int t : keep) z += std::exp((double(l[t]) - l[keep[0]]) / p.temperature);
  for (int t : keep) probs[t] = std::exp((double(l[t]) - l[keep[0]]) / p.temperature) / z;
  return probs;
}

// Pearson's chi-square of observed counts against probabilities; tokens of probability 0 must
// never be drawn. Compared with the 1e-4 upper quantile (Wilson-Hilferty), so a correct sampler
// passes (the seeds are fixed: the test is deterministic) and a wrong distribution fails.
void ExpectMatchesDistribution(const std::vector<int>& counts, const std::vector<double>& probs) {
  const int draws = std::accumulate(counts.begin(), counts.end(), 0);
  double chi2 = 0;
  int df = -1;
  for (size_t t = 0; t < counts.size(); ++t) {
    if (probs[t] == 0) {
      EXPECT_EQ(counts[t], 0) << "token " << t << " has probability 0";
      continue;
    }
    const double expected = draws * probs[t];
    chi2 += (counts[t] - expected) * (counts[t] - expected) / expected;
    ++df;
  }
  if (df <= 0) return;
  const double z = 3.719;  // one-sided 1e-4
  const double k = 2.0 / (9.0 * df);
  const double critical = df * std::pow(1 - k + z * std::sqrt(k), 3);
  EXPECT_LT(chi2, critical) << "df " << df;
}

const std::vector<float> kLogits = {1.2f, 3.0f, 2.5f, -0.5f, 0.0f, 2.9f, 1.0f, -2.0f, 0.7f, 2.0f};

TEST(SamplerTest, GreedyIsTheArgmaxAndTheLowestIdOnTies) {
  SamplingParams p;
  p.temperature = 0;
  Sampler s(p, 1);
  EXPECT_EQ(SampleOnce(s, kLogits).token, 1);
  EXPECT_EQ(SampleOnce(s, {0.5f, 2.0f, 2.0f, 1.0f}).token, 1);
  EXPECT_EQ(SampleOnce(s, {-kInf, 3.0f, 3.0f}).token, 1);
}

TEST(SamplerTest, TheSameSeedGivesTheSameTokens) {
  SamplingParams p;
  p.temperature = 1.5f;
  Sampler a(p, 42);
  Sampler b(p, 42);
  Sampler c(p, 43);
  std::vector<Token> ta;
  std::vector<Token> tb;
  std::vector<Token> tc;
  for (int i = 0; i < 200; ++i) {
    ta.push_back(SampleOnce(a, kLogits).token);
    tb.push_back(SampleOnce(b, kLogits).token);
    tc.push_back(SampleOnce(c, kLogits).token);
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
}

struct DistributionCase {
  const char* name;
  float temperature;
  int top_k;
  float top_p;
  float min_p;
};

TEST(SamplerTest, DistributionsMatchTheDocumentedChain) {
  const DistributionCase cases[] = {
      {"plain", 1.0f, 0, 1.0f, 0.0f},       {"temperature", 0.7f, 0, 1.0f, 0.0f},
      {"hot", 2.5f, 0, 1.0f, 0.0f},         {"top_k", 1.0f, 3, 1.0f, 0.0f},
      {"top_p", 1.0f, 0, 0.8f, 0.0f},       {"min_p", 1.0f, 0, 1.0f, 0.2f},
      {"k_then_p", 1.0f, 4, 0.6f, 0.0f},    {"all", 0.8f, 6, 0.9f, 0.1f},
      {"cold_top_p", 0.5f, 0, 0.95f, 0.0f},
  };
  uint64_t seed = 100;
  for (const DistributionCase& c : cases) {
    SCOPED_TRACE(c.name);
    SamplingParams p;
    p.temperature = c.temperature;
    p.top_k = c.top_k;
    p.top_p = c.top_p;
    p.min_p = c.min_p;
    Sampler s(p, seed++);
    ExpectMatchesDistribution(Counts(s, kLogits, 40000), ReferenceDistribution(kLogits, p, {}, 0));
  }
}

// A vocabulary where the top-p set holds far more than 64 tokens takes the bucketed path.
TEST(SamplerTest, WideTopPSetsMatchTheReference) {
  base::Random rng(31);
  std::vector<float> logits(300);
  for (float& l : logits) l = static_cast<float>(rng.Normal() * 0.7);
  logits[17] = logits[18];  // a tie, resolved by id
  struct Case {
    float top_p;
    float min_p;
    float temperature;
  };
  for (const Case& c : {Case{0.9f, 0.0f, 1.0f}, Case{0.6f, 0.0f, 0.8f}, Case{0.95f, 0.17f, 1.2f}}) {
    SCOPED_TRACE(c.top_p);
    SamplingParams p;
    p.top_p = c.top_p;
    p.min_p = c.min_p;
    p.temperature = c.temperature;
    const std::vector<double> expected = ReferenceDistribution(logits, p, {}, 0);
    ASSERT_GT(std::count_if(expected.begin(), expected.end(), [](double q) { return q > 0; }),
              64);
    Sampler s(p, 8);
    ExpectMatchesDistribution(Counts(s, logits, 60000), expected);
  }
}

TEST(SamplerTest, TopPIsOverTheTopKSurvivors) {
  // p = [0.4, 0.3, 0.2, 0.1]. Over the two top-k survivors token 0 has 0.57 >= 0.5, so top-p
  // keeps it alone; over the full distribution (0.4 < 0.5) it would keep two.
  const std::vector<float> logits = {std::log(0.4f), std::log(0.3f), std::log(0.2f),
                                     std::log(0.1f)};
  SamplingParams p;
  p.top_k = 2;
  p.top_p = 0.5f;
  Sampler s(p, 7);
  EXPECT_EQ(Counts(s, logits, 2000)[0], 2000);
  p.top_k = 0;
  Sampler full(p, 7);
  const auto counts = Counts(full, logits, 2000);
  EXPECT_GT(counts[1], 0);
  EXPECT_EQ(counts[2] + counts[3], 0);
}

TEST(SamplerTest, PenaltiesFollowTheirDefinitions) {
  SamplingParams p;
  p.temperature = 0;
  p.repetition_penalty = 1.2f;
  {
    Sampler s(p, 1);
    // 2.0 / 1.2 = 1.67 < 1.9: the repeated token loses.
    EXPECT_EQ(SampleOnce(s, {2.0f, 1.9f, 0.0f}, {0}, 1).token, 1);
    // Negative logits are multiplied: -1.2 < -1.1.
    EXPECT_EQ(SampleOnce(s, {-1.0f, -1.1f}, {0}, 1).token, 1);
  }
  {
    p.repetition_last_n = 1;  // only the last token counts
    Sampler s(p, 1);
    EXPECT_EQ(SampleOnce(s, {2.0f, 1.9f, 0.0f}, {0, 2}, 2).token, 0);
  }
  SamplingParams f;
  f.temperature = 0;
  f.frequency_penalty = 0.3f;
  {
    Sampler s(f, 1);
    // Prompt tokens do not count for frequency/presence (OpenAI).
    EXPECT_EQ(SampleOnce(s, {2.0f, 1.5f}, {0, 0, 0, 0}, 4).token, 0);
    EXPECT_EQ(SampleOnce(s, {2.0f, 1.5f}, {0}, 0).token, 0);     // 2.0 - 0.3 = 1.7
    EXPECT_EQ(SampleOnce(s, {2.0f, 1.5f}, {0, 0}, 0).token, 1);  // 2.0 - 0.6 = 1.4
  }
  SamplingParams pr;
  pr.temperature = 0;
  pr.presence_penalty = 0.6f;
  {
    Sampler s(pr, 1);
    EXPECT_EQ(SampleOnce(s, {2.0f, 1.5f}, {0}, 0).token, 1);        // 1.4 < 1.5, once is enough
    EXPECT_EQ(SampleOnce(s, {2.0f, 1.3f}, {0, 0, 0}, 0).token, 0);  // presence does not grow
  }
}

TEST(SamplerTest, PenalisedDistributionMatchesTheReference) {
  SamplingParams p;
  p.temperature = 0.9f;
  p.repetition_penalty = 1.3f;
  p.repetition_last_n = 6;
  p.presence_penalty = 0.4f;
  p.frequency_penalty = 0.25f;
  p.top_k = 8;
  const std::vector<Token> history = {1, 5, 9, 2, 1, 1, 5, 0, 9};
  Sampler s(p, 5);
  ExpectMatchesDistribution(Counts(s, kLogits, 40000, history, 3),
                            ReferenceDistribution(kLogits, p, history, 3));
}

TEST(SamplerTest, LogprobsComeFromTheRawDistribution) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f, 0.0f};
  const double log_z = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(0.0));
  SamplingParams p;
  p.temperature = 0;
  p.logprobs = true;
  p.top_logprobs = 2;
  p.repetition_penalty = 2.0f;  // turns the greedy choice to token 1, logprobs stay raw
  Sampler s(p, 1);
  const SampleResult r = SampleOnce(s, logits, {2}, 1);
  EXPECT_EQ(r.token, 1);
  EXPECT_NEAR(r.logprob, 2.0 - log_z, 1e-5);
  ASSERT_EQ(r.top_logprobs.size(), 2u);
  EXPECT_EQ(r.top_logprobs[0].token, 2);
  EXPECT_NEAR(r.top_logprobs[0].logprob, 3.0 - log_z, 1e-5);
  EXPECT_EQ(r.top_logprobs[1].token, 1);
  EXPECT_NEAR(r.top_logprobs[1].logprob, 2.0 - log_z, 1e-5);

  // The penalised token chosen: its raw logprob, not the penalised one.
  SamplingParams q = p;
  q.repetition_penalty = 1.0f;
  q.frequency_penalty = -2.0f;  // a boost
  Sampler boost(q, 1);
  const SampleResult b = SampleOnce(boost, logits, {3, 3}, 0);
  EXPECT_EQ(b.token, 3);  // 0 + 4 = 4 beats 3
  EXPECT_NEAR(b.logprob, 0.0 - log_z, 1e-5);
  // Without logprobs nothing is reported.
  SamplingParams none;
  Sampler quiet(none, 1);
  EXPECT_TRUE(SampleOnce(quiet, logits).top_logprobs.empty());
}

TEST(SamplerTest, BrokenLogitsAreAnErrorAndMaskedTokensNeverWin) {
  SamplingParams p;
  Sampler s(p, 3);
  std::vector<float> nan = {1.0f, std::nanf(""), 0.0f};
  EXPECT_TRUE(absl::IsDataLoss(s.Sample(nan, {}, 0).status()));
  std::vector<float> pos_inf = {1.0f, kInf};
  EXPECT_TRUE(absl::IsDataLoss(s.Sample(pos_inf, {}, 0).status()));
  std::vector<float> all_masked = {-kInf, -kInf};
  EXPECT_TRUE(absl::IsDataLoss(s.Sample(all_masked, {}, 0).status()));
  std::vector<float> empty;
  EXPECT_TRUE(absl::IsDataLoss(s.Sample(empty, {}, 0).status()));
  const auto counts = Counts(s, {-kInf, 0.0f, -kInf, 0.5f}, 3000);
  EXPECT_EQ(counts[0] + counts[2], 0);
  for (float top_p : {1.0f, 0.99f}) {
    SamplingParams q;
    q.top_k = 3;
    q.top_p = top_p;
    Sampler t(q, 4);
    const auto c = Counts(t, {-kInf, 0.0f, -kInf, 0.5f}, 3000);
    EXPECT_EQ(c[0] + c[2], 0);
  }
}

// Llama 3's vocabulary size.
constexpr int kBigVocab = 128256;

std::vector<float> BigLogits(uint64_t seed) {
  base::Random rng(seed);
  std::vector<float> logits(kBigVocab);
  for (float& l : logits) l = static_cast<float>(rng.Normal() * 2.0);
  return logits;
}

TEST(SamplerTest, TopKOnALargeVocabularyKeepsTheTrueTopK) {
  const std::vector<float> logits = BigLogits(11);
  std::vector<int> order(kBigVocab);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + 40, order.end(),
                    [&](int a, int b) { return logits[a] > logits[b]; });
  const std::vector<int> top(order.begin(), order.begin() + 40);
  SamplingParams p;
  p.top_k = 40;
  Sampler s(p, 9);
  for (int i = 0; i < 300; ++i) {
    const Token t = SampleOnce(s, logits).token;
    EXPECT_NE(std::find(top.begin(), top.end(), t), top.end()) << t;
  }
}

TEST(SamplerTest, TopPReachesFarIntoAFlatDistribution) {
  // Flat logits: top-p 0.5 needs half the vocabulary, far past the 64 best; ties resolve by id,
  // so exactly the lower half survives.
  std::vector<float> flat(kBigVocab, 0.0f);
  SamplingParams p;
  p.top_p = 0.5f;
  Sampler s(p, 12);
  int beyond_first_heads = 0;
  for (int i = 0; i < 40; ++i) {
    const Token t = SampleOnce(s, flat).token;
    EXPECT_LT(t, kBigVocab / 2);
    beyond_first_heads += t >= 4096 ? 1 : 0;
  }
  EXPECT_GT(beyond_first_heads, 30);
  // Peaked logits: a short head holds the mass.
  std::vector<float> peaked = BigLogits(13);
  peaked[777] = 30.0f;
  peaked[12345] = 29.0f;
  p.top_p = 0.9f;
  Sampler q(p, 14);
  // Token 12345 holds about 27 % of the head: 300 draws miss it with probability 0.73^300 < 1e-40.
  const auto counts = Counts(q, peaked, 300);
  EXPECT_EQ(counts[777] + counts[12345], 300);
  EXPECT_GT(counts[12345], 0);
}

TEST(SamplerTest, LargeVocabularySamplingIsReproducible) {
  const std::vector<float> logits = BigLogits(21);
  SamplingParams p;
  p.temperature = 0.8f;
  p.min_p = 0.05f;
  Sampler a(p, 77);
  Sampler b(p, 77);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(SampleOnce(a, logits).token, SampleOnce(b, logits).token);
}

}  // namespace
}  // namespace tokenfab::engine
