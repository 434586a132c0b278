// The correctness contract for the serving engine on real (tiny, random-weight) models
// and the real runner: the greedy output of a request is identical
//   - alone,
//   - batched with 15 others of different lengths (decode tokens and prefill chunks mixed),
//   - after a prefix-cache hit,
//   - after being preempted and resumed (recomputed),
//   - with chunked prefill at any chunk size;
// and the engine's text equals the single-sequence Generator's for the same request.
//
// Numerics. The kernels compute a token differently depending on the batch around it: below
// CpuKernels::kGemmMinTokens tokens the streaming kernels, from there the packed-panel kernels,
// and a prefix-cache hit or a recomputation reads K/V written by another pass.
//  - F32 and F16 weights: both paths are exact up to float summation order, and the outputs are
//    identical in the default mode.
//  - Quantised weights (Q8_0): the streaming path rounds activations to int8 blocks, the panel
//    path to bf16, so logits move by up to ~1 % and greedy choices flip wherever the top two
//    are that close (measured on this tiny model: most of 16 requests diverge somewhere in 24
//    tokens, at top-2 gaps of up to ~0.5 nats). llama.cpp's batched decoding has the same
//    property. The executor's batch-invariant mode (ModelExecutorOptions::batch_invariant,
//    the streaming kernels at every size) makes a token's numerics independent of its batch,
//    and with it the quantised outputs are identical too.
// The comparison tolerates one thing: a divergence where the reference itself had a near-tie
// (top-2 log-probabilities closer than 1e-4: summation-order noise), after which the sequences
// are not compared. Such ties are counted and must stay rare (kMaxTies), so a real divergence
// cannot hide behind the tolerance.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine_test_models.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/bench/generator.h"
#include "tokenfab/engine/model_executor.h"

namespace tokenfab::engine {
namespace {

using bench::GenerationStats;
using bench::Generator;
using model::Architecture;
using model::WeightScheme;

constexpr int kRequests = 16;
constexpr int kGenerate = 24;
// Near-ties tolerated over the 16 requests of one scenario.
constexpr int kMaxTies = 2;

struct Output {
  std::vector<Token> tokens;
  std::vector<float> top_gap;  // logprob of the best minus the second best, per token
  std::string text;
  EngineEvent finish;
};

SchedulerConfig Config(int32_t blocks = 128, int32_t chunk = 512, int32_t budget = 512) {
  SchedulerConfig c;
  c.block_size = 16;
  c.num_kv_blocks = blocks;
  c.max_context_tokens = 256;  // the tiny model's training context
  c.max_running_sequences = kRequests;
  c.max_batch_tokens = budget;
  c.max_prefill_chunk_tokens = chunk;
  c.admission_reserve_blocks = 0;
  return c;
}

// 16 prompts of different lengths (6 .. 126 tokens) from real text; the odd ones share a
// 40-token system prefix, so batches also share prefix blocks.
std::vector<std::vector<Token>> Prompts(const tokenizer::Tokenizer& tokenizer) {
  const std::string text =
      "The committee met on Tuesday to review the budget for the coming year. Several members "
      "raised concerns about the cost of the new bridge, which had doubled since the first "
      "estimate. Others argued that delaying the project would only make it more expensive. "
      "After a long debate, they agreed to commission an independent study of the plans and "
      "to meet again in March, when the results would be known. Meanwhile the mayor promised "
      "to publish every document online, so that residents could follow the discussion. "
      "Überraschung: 日本語のテキストも少し混ぜておきます 🙂 — and some symbols: €, ñ, "
      "ß.";
  const std::vector<Token> all = tokenizer.Encode(text, false, false);
  const std::vector<Token> system(all.begin(), all.begin() + 40);
  std::vector<std::vector<Token>> prompts;
  for (int i = 0; i < kRequests; ++i) {
    const size_t len = 6 + 8 * static_cast<size_t>(i);
    std::vector<Token> p;
    if (i % 2 == 1) p = system;
    for (size_t k = 0; p.size() < len; ++k) p.push_back(all[(7 * i + k) % all.size()]);
    p.resize(len);
    prompts.push_back(p);
  }
  return prompts;
}

EngineRequest Greedy(const std::vector<Token>& prompt) {
  EngineRequest r;
  r.prompt = prompt;
  r.sampling.temperature = 0;
  r.sampling.max_tokens = kGenerate;
  r.sampling.logprobs = true;
  r.sampling.top_logprobs = 2;
  r.ignore_eos = true;  // every stream has kGenerate tokens
  return r;
}

Output Collect(RequestHandle& handle) {
  Output out;
  for (const EngineEvent& e : handle.Wait()) {
    out.text += e.text;
    if (e.finished()) {
      out.finish = e;
      continue;
    }
    out.tokens.push_back(e.token);
    out.top_gap.push_back(e.top_logprobs.size() == 2
                              ? e.top_logprobs[0].logprob - e.top_logprobs[1].logprob
                              : INFINITY);
  }
  return out;
}

// Submits all `prompts` at once to `engine`, runs to the end, returns the outputs in order.
std::vector<Output> RunTogether(Engine& engine, const std::vector<std::vector<Token>>& prompts) {
  std::vector<RequestHandle> handles;
  for (const auto& p : prompts) handles.push_back(engine.Submit(Greedy(p)).value());
  engine.RunUntilIdle();
  std::vector<Output> outputs;
  for (RequestHandle& h : handles) outputs.push_back(Collect(h));
  return outputs;
}

constexpr double kTieTolerance = 1e-4;

// Compares `got` with the reference token by token; returns how many requests diverged at a
// tolerated near-tie. Fails the test on any other difference.
int ExpectSameGreedy(const std::vector<Output>& reference, const std::vector<Output>& got,
                     double tolerance, const std::string& scenario) {
  int ties = 0;
  for (size_t r = 0; r < reference.size(); ++r) {
    const Output& a = reference[r];
    const Output& b = got[r];
    EXPECT_EQ(b.finish.finish_reason, FinishReason::kLength) << scenario << " request " << r;
    EXPECT_EQ(a.tokens.size(), b.tokens.size()) << scenario << " request " << r;
    if (a.tokens.size() != b.tokens.size()) continue;
    size_t k = 0;
    while (k < a.tokens.size() && a.tokens[k] == b.tokens[k]) ++k;
    if (k == a.tokens.size()) {
      EXPECT_EQ(a.text, b.text) << scenario << " request " << r;
      continue;
    }
    EXPECT_LT(a.top_gap[k], tolerance)
        << scenario << " request " << r << " diverges at token " << k << " (" << a.tokens[k]
        << " vs " << b.tokens[k] << ") where the reference's top-2 gap is " << a.top_gap[k];
    ++ties;
  }
  EXPECT_LE(ties, kMaxTies) << scenario << ": too many near-ties";
  return ties;
}

struct Case {
  Architecture arch;
  WeightScheme weights;
  bool batch_invariant;
};

class EngineGreedyTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    model_ = testing::TinyModel(GetParam().arch, GetParam().weights);
    ASSERT_NE(model_, nullptr);
    prompts_ = Prompts(model_->tokenizer());
    // The reference: each request alone, in a fresh engine, prefill in one pass.
    for (const auto& p : prompts_) {
      std::unique_ptr<Engine> engine = NewEngine(Config());
      ASSERT_NE(engine, nullptr);
      alone_.push_back(RunTogether(*engine, {p})[0]);
      ASSERT_EQ(alone_.back().tokens.size(), static_cast<size_t>(kGenerate));
      EXPECT_EQ(alone_.back().finish.usage.cached_prompt_tokens, 0);
    }
  }
  double tolerance() const { return kTieTolerance; }
  std::unique_ptr<Engine> NewEngine(const SchedulerConfig& config) {
    return testing::ModelEngine(*model_, config, clock_, GetParam().batch_invariant);
  }

  base::RealClock& clock_ = base::RealClock::Get();
  const model::Model* model_ = nullptr;
  std::vector<std::vector<Token>> prompts_;
  std::vector<Output> alone_;
};

TEST_P(EngineGreedyTest, BatchedWithFifteenOthers) {
  std::unique_ptr<Engine> engine = NewEngine(Config());
  const std::vector<Output> together = RunTogether(*engine, prompts_);
  ExpectSameGreedy(alone_, together, tolerance(), "batched");
  EXPECT_EQ(engine->scheduler_for_testing().kv().num_used_blocks(), 0);
}

TEST_P(EngineGreedyTest, AfterAPrefixCacheHit) {
  std::unique_ptr<Engine> engine = NewEngine(Config());
  for (size_t i = 0; i < prompts_.size(); ++i) {
    RunTogether(*engine, {prompts_[i]});  // warms the cache with this prompt
  }
  // Each prompt again, alone: its full blocks come from the cache.
  std::vector<Output> hits;
  for (size_t i = 0; i < prompts_.size(); ++i) {
    hits.push_back(RunTogether(*engine, {prompts_[i]})[0]);
    const int32_t expected = static_cast<int32_t>((prompts_[i].size() - 1) / 16 * 16);
    EXPECT_EQ(hits.back().finish.usage.cached_prompt_tokens, expected) << "prompt " << i;
  }
  ExpectSameGreedy(alone_, hits, tolerance(), "prefix hit alone");
  // And all together, every one of them hitting.
  ExpectSameGreedy(alone_, RunTogether(*engine, prompts_), tolerance(), "prefix hit batched");
}

TEST_P(EngineGreedyTest, AfterPreemptionAndResumption) {
  // 18 blocks (288 tokens) for 16 requests of up to 150 tokens: constant preemption.
  std::unique_ptr<Engine> engine = NewEngine(Config(18));
  const std::vector<Output> squeezed = RunTogether(*engine, prompts_);
  int preemptions = 0;
  for (const Output& o : squeezed) preemptions += o.finish.timings.preemptions;
  EXPECT_GT(preemptions, 0);
  ExpectSameGreedy(alone_, squeezed, tolerance(), "preempted");
}

TEST_P(EngineGreedyTest, WithChunkedPrefillAtAnyChunkSize) {
  for (int32_t chunk : {1, 3, 16, 37, 128}) {
    std::unique_ptr<Engine> engine = NewEngine(Config(128, chunk, std::max(chunk, 64)));
    ExpectSameGreedy(alone_, RunTogether(*engine, prompts_), tolerance(),
                     fmt::format("chunk {}", chunk));
  }
}

TEST_P(EngineGreedyTest, MatchesTheSingleSequenceGenerator) {
  // Generator on its own storage and runner, prompt in one pass.
  KvCacheStorage kv(KvCacheShape::ForModel(model_->config(), 16, 16, kernels::GgmlType::kF32));
  ModelRunner runner(*model_, kv, 2);
  runner.SetBatchInvariant(GetParam().batch_invariant);
  Generator generator(runner, kv, clock_);
  for (size_t i = 0; i < prompts_.size(); i += 5) {
    SamplingParams params;
    params.temperature = 0;
    params.max_tokens = kGenerate;
    std::string text;
    const StatusOr<GenerationStats> stats =
        generator.Generate(prompts_[i], params, 1, 512, [&](std::string_view t) { text += t; });
    ASSERT_TRUE(stats.ok()) << stats.status();
    // The Generator stops at end-of-generation tokens; compare up to its length.
    if (stats->finish_reason == "length") {
      EXPECT_EQ(text, alone_[i].text) << "prompt " << i;
    } else {
      EXPECT_EQ(alone_[i].text.substr(0, text.size()), text) << "prompt " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, EngineGreedyTest,
                         ::testing::Values(Case{Architecture::kLlama, WeightScheme::kF32, false},
                                           Case{Architecture::kQwen2, WeightScheme::kF32, false},
                                           Case{Architecture::kLlama, WeightScheme::kF16, false},
                                           Case{Architecture::kLlama, WeightScheme::kQ8_0, true},
                                           Case{Architecture::kQwen2, WeightScheme::kQ4_0, true},
                                           // Mixture of experts, latent attention.
                                           Case{Architecture::kQwen3Moe, WeightScheme::kF32, false},
                                           Case{Architecture::kDeepseek2, WeightScheme::kF32, false},
                                           Case{Architecture::kDeepseek2, WeightScheme::kQ8_0, true},
                                           Case{Architecture::kGlm4Moe, WeightScheme::kQ4_0, true}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           const WeightScheme w = info.param.weights;
                           return fmt::format("{}_{}{}", model::ArchitectureName(info.param.arch),
                                              w == WeightScheme::kF32    ? "f32"
                                              : w == WeightScheme::kF16  ? "f16"
                                              : w == WeightScheme::kQ8_0 ? "q8_0"
                                                                         : "q4_0",
                                              info.param.batch_invariant ? "_batch_invariant" : "");
                         });

}  // namespace
}  // namespace tokenfab::engine
