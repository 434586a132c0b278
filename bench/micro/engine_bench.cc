// Micro-benchmarks of the engine's decision logic: the sampler on Llama 3's 128,256-token
// vocabulary, and one scheduler step (Schedule + Update) with 256 running requests.
//
//   build/bin/engine_bench --benchmark_filter=Sample
#include <benchmark/benchmark.h>

#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/random.h"
#include "tokenfab/engine/kv_block_manager.h"
#include "tokenfab/engine/sampler.h"
#include "tokenfab/engine/scheduler.h"

namespace tokenfab::engine {
namespace {

constexpr int kVocab = 128256;

// Logits shaped like a language model's: a broad background (normal, sd 1.5) and a few dozen
// plausible next tokens well above it, holding most of the probability.
std::vector<float> LlmLikeLogits(uint64_t seed) {
  base::Random rng(seed);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = static_cast<float>(rng.Normal() * 1.5);
  for (int i = 0; i < 40; ++i)
    logits[rng.Below(kVocab)] = static_cast<float>(10 + 4 * rng.Uniform());
  return logits;
}

// Logits with no dominant tokens (normal, sd 2): the hard case for top-p.
std::vector<float> FlatLogits(uint64_t seed) {
  base::Random rng(seed);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = static_cast<float>(rng.Normal() * 2.0);
  return logits;
}

void RunSampler(benchmark::State& state, const SamplingParams& params,
                const std::vector<float>& source) {
  Sampler sampler(params, 1);
  std::vector<Token> history;
  base::Random rng(5);
  for (int i = 0; i < 256; ++i) history.push_back(static_cast<Token>(rng.Below(kVocab)));
  std::vector<float> logits(source.size());
  for (auto _ : state) {
    state.PauseTiming();
    logits = source;  // Sample() uses the row as scratch
    state.ResumeTiming();
    auto result = sampler.Sample(logits, history, 128);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SampleGreedy(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0;
  RunSampler(state, p, LlmLikeLogits(1));
}
BENCHMARK(BM_SampleGreedy);

void BM_SampleTemperature(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.8f;
  RunSampler(state, p, LlmLikeLogits(1));
}
BENCHMARK(BM_SampleTemperature);

void BM_SampleTopK40(benchmark::State& state) {
  SamplingParams p;
  p.top_k = 40;
  RunSampler(state, p, LlmLikeLogits(1));
}
BENCHMARK(BM_SampleTopK40);

void BM_SampleTopP95(benchmark::State& state) {
  SamplingParams p;
  p.top_p = 0.95f;
  RunSampler(state, p, LlmLikeLogits(1));
}
BENCHMARK(BM_SampleTopP95);

void BM_SampleTopP95Flat(benchmark::State& state) {
  SamplingParams p;
  p.top_p = 0.95f;
  RunSampler(state, p, FlatLogits(1));
}
BENCHMARK(BM_SampleTopP95Flat);

void BM_SampleMinP(benchmark::State& state) {
  SamplingParams p;
  p.min_p = 0.05f;
  RunSampler(state, p, LlmLikeLogits(1));
}
BENCHMARK(BM_SampleMinP);

// llama.cpp's defaults: penalties (repeat 1.1 over 64), top-k 40, top-p 0.95, min-p 0.05, T 0.8.
void BM_SampleLlamaCppDefaults(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.8f;
  p.top_k = 40;
  p.top_p = 0.95f;
  p.min_p = 0.05f;
  p.repetition_penalty = 1.1f;
  RunSampler(state, p, LlmLikeLogits(1));
}
BENCHMARK(BM_SampleLlamaCppDefaults);

void BM_SampleWithPenaltiesAndLogprobs(benchmark::State& state) {
  SamplingParams p;
  p.top_p = 0.9f;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.5f;
  p.logprobs = true;
  p.top_logprobs = 5;
  RunSampler(state, p, LlmLikeLogits(1));
}
BENCHMARK(BM_SampleWithPenaltiesAndLogprobs);

// One scheduler step with `n` requests running: Schedule() then Update() with a token for every
// sequence. A request that finishes is replaced by a new one (prompt of 512 tokens sharing a
// 256-token system prompt), so the engine stays in a steady state of decodes plus some chunked
// prefill.
void BM_SchedulerStep(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  SchedulerConfig config;
  config.block_size = 16;
  config.num_kv_blocks = 65536;  // a million tokens
  config.max_context_tokens = 4096;
  config.max_running_sequences = n;
  config.max_batch_tokens = 2048;
  config.max_prefill_chunk_tokens = 2048;
  base::ManualClock clock;
  Scheduler scheduler(config, clock);
  base::Random rng(3);
  RequestId next = 1;
  const auto submit = [&] {
    RequestSpec spec;
    spec.id = next++;
    for (int i = 0; i < 512; ++i) {
      spec.prompt.push_back(static_cast<Token>(i < 256 ? i : rng.Below(kVocab)));
    }
    spec.sampling.max_tokens = 64 + static_cast<int32_t>(rng.Below(512));
    (void)scheduler.Submit(std::move(spec));
  };
  for (int i = 0; i < n; ++i) submit();
  std::vector<SequenceResult> results;
  int64_t tokens = 0;
  for (auto _ : state) {
    const ScheduledBatch batch = scheduler.Schedule();
    results.assign(batch.sequences.size(), SequenceResult{});
    for (size_t i = 0; i < batch.sequences.size(); ++i) {
      if (batch.sequences[i].logits) results[i].token = static_cast<Token>(rng.Below(kVocab));
    }
    tokens += batch.num_tokens;
    benchmark::DoNotOptimize(scheduler.Update(batch, results));
    for (size_t i = scheduler.TakeTerminated().size(); i > 0; --i) submit();
    clock.Advance(20'000);
  }
  state.counters["tokens/step"] =
      benchmark::Counter(static_cast<double>(tokens) / static_cast<double>(state.iterations()));
  state.counters["running"] = scheduler.num_running();
}
BENCHMARK(BM_SchedulerStep)->Arg(64)->Arg(256);

// Admitting and freeing a 512-token sequence whose first 256 tokens are cached.
void BM_KvAdmitFree(benchmark::State& state) {
  KvBlockManagerConfig config;
  config.num_blocks = 4096;
  config.block_size = 16;
  KvBlockManager kv(config);
  std::vector<Token> prompt;
  for (int i = 0; i < 512; ++i) prompt.push_back(i < 256 ? i : 1000 + i);
  (void)kv.Admit(0, 0, prompt);
  kv.Commit(0, prompt, 256);
  SeqId seq = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kv.Admit(seq, 0, prompt));
    kv.Free(seq++);
  }
}
BENCHMARK(BM_KvAdmitFree);

}  // namespace
}  // namespace tokenfab::engine

BENCHMARK_MAIN();
