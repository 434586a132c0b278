// Micro-benchmark of the engine's own cost per step, with the compute taken out: the real Engine,
// scheduler, KV block manager, detokenizers, stop matchers and event delivery around a synthetic
// executor whose steps take no modelled time (a manual clock). One iteration is one step of N
// decoding streams plus draining their handles, as a server's I/O threads would.
//
//   build/bin/engine_loop_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "tokenfab/base/check.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/engine/engine.h"
#include "tokenfab/engine/synthetic_executor.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::engine {
namespace {

const tokenizer::Tokenizer& Llama3() {
  static const tokenizer::Tokenizer* tokenizer = [] {
    auto vocab = tokenizer::LoadVocabJson(tokenizer::FindVocabFile("llama3").value());
    TF_CHECK(vocab.ok()) << std::string(vocab.status().message());
    return tokenizer::Tokenizer::Create(*std::move(vocab)).value().release();
  }();
  return *tokenizer;
}

void BM_EngineDecodeStep(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  const bool stop_strings = state.range(1) != 0;
  base::ManualClock clock;
  ManualStepPacer pacer(clock);
  EngineOptions options;
  options.scheduler.block_size = 16;
  options.scheduler.num_kv_blocks = streams * 300;  // 4,800 tokens each: never full here
  options.scheduler.max_context_tokens = 4096;
  options.scheduler.max_running_sequences = streams;
  options.scheduler.max_batch_tokens = std::max(2048, streams);
  options.scheduler.max_prefill_chunk_tokens = options.scheduler.max_batch_tokens;
  auto engine =
      Engine::Create(
          options, std::make_unique<SyntheticExecutor>(SyntheticExecutorOptions{}, Llama3(), pacer),
          Llama3(), clock)
          .value();
  std::vector<RequestHandle> handles;
  for (int i = 0; i < streams; ++i) {
    EngineRequest r;
    r.prompt = {1000, 1001, 1002, 1003 + i};
    r.sampling.max_tokens = 4000;
    r.sampling.seed = i;
    if (stop_strings) r.sampling.stop_strings = {"never appears \x01", "\x02 nor this"};
    handles.push_back(engine->Submit(std::move(r)).value());
  }
  engine->RunOnce();  // prefill
  std::vector<EngineEvent> events;
  int64_t tokens = 0;
  for (auto _ : state) {
    if (!engine->RunOnce()) state.SkipWithError("no step ran");
    for (RequestHandle& h : handles) {
      events.clear();
      tokens += static_cast<int64_t>(h.Poll(&events));
    }
  }
  state.SetItemsProcessed(tokens);
  state.counters["us_per_step"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  engine->Shutdown();
}
// Streams, stop strings. Each stream lives 4,000 steps: runs stay below that.
BENCHMARK(BM_EngineDecodeStep)
    ->Args({16, 0})
    ->Args({64, 0})
    ->Args({256, 0})
    ->Args({256, 1})
    ->Iterations(2000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tokenfab::engine

BENCHMARK_MAIN();
