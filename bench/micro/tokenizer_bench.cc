// Encode throughput of the tokenizers on the tokenizer reference corpus (its well-formed lines,
// the same text bench/micro/tokenizer_bench_tiktoken.mjs gives tiktoken), one Encode per line:
// BM_Encode/<vocab>_all on every line, BM_Encode/<vocab>_typical without the "long" category
// (57 lines of 2 to 20 KB without a break, on which tiktoken's merging is quadratic).
//
//   build/bin/tokenizer_bench --benchmark_filter=Encode
//
// bytes_per_second is the throughput (CPU time); bench/micro/tokenizer_bench.sh prints it beside
// tiktoken's.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tokenfab/tokenizer/streaming_detokenizer.h"
#include "tokenfab/tokenizer/tokenizer.h"
#include "tokenfab/tokenizer/vocab_source.h"
#include "tokenizer_corpus.h"

namespace tokenfab::tokenizer {
namespace {

// The well-formed lines; `typical`: without the "long" category.
const std::vector<std::string>& Lines(bool typical = false) {
  static const auto* lines = [] {
    auto* out = new std::vector<std::string>[2];
    for (CorpusEntry& entry : BuildCorpus()) {
      if (!WellFormedUtf8(entry.text)) continue;
      if (entry.category != "long") out[1].push_back(entry.text);
      out[0].push_back(std::move(entry.text));
    }
    return out;
  }();
  return lines[typical ? 1 : 0];
}

const Tokenizer* Get(const std::string& name) {
  static auto* cache = new std::map<std::string, std::unique_ptr<Tokenizer>>();
  auto it = cache->find(name);
  if (it != cache->end()) return it->second.get();
  StatusOr<std::string> path = FindVocabFile(name);
  StatusOr<Vocab> vocab = path.ok() ? LoadVocabJson(*path) : StatusOr<Vocab>(path.status());
  if (!vocab.ok()) return nullptr;
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::Create(*std::move(vocab));
  if (!tokenizer.ok()) return nullptr;
  return cache->emplace(name, *std::move(tokenizer)).first->second.get();
}

void BM_Encode(benchmark::State& state, const std::string& name, bool typical) {
  const Tokenizer* tokenizer = Get(name);
  if (tokenizer == nullptr) {
    state.SkipWithError("vocabulary not found");
    return;
  }
  const std::vector<std::string>& lines = Lines(typical);
  int64_t bytes = 0, tokens = 0;
  for (auto _ : state) {
    for (const std::string& line : lines) {
      const std::vector<int32_t> ids = tokenizer->Encode(line, false, false);
      tokens += static_cast<int64_t>(ids.size());
      bytes += static_cast<int64_t>(line.size());
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetBytesProcessed(bytes);
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_Decode(benchmark::State& state, const std::string& name) {
  const Tokenizer* tokenizer = Get(name);
  if (tokenizer == nullptr) {
    state.SkipWithError("vocabulary not found");
    return;
  }
  std::vector<std::vector<int32_t>> encoded;
  for (const std::string& line : Lines()) encoded.push_back(tokenizer->Encode(line, false, false));
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const std::vector<int32_t>& ids : encoded) {
      StreamingDetokenizer stream(*tokenizer);
      for (int32_t id : ids) bytes += static_cast<int64_t>(stream.Push(id).size());
      bytes += static_cast<int64_t>(stream.Flush().size());
    }
  }
  state.SetBytesProcessed(bytes);
}

void BM_Create(benchmark::State& state, const std::string& name) {
  StatusOr<std::string> path = FindVocabFile(name);
  StatusOr<Vocab> vocab = path.ok() ? LoadVocabJson(*path) : StatusOr<Vocab>(path.status());
  if (!vocab.ok()) {
    state.SkipWithError("vocabulary not found");
    return;
  }
  for (auto _ : state) {
    StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::Create(*vocab);
    benchmark::DoNotOptimize(tokenizer);
  }
}

#define TOKENIZER_BENCH(name)                                                            \
  BENCHMARK_CAPTURE(BM_Encode, name##_all, std::string(#name), false)                    \
      ->Unit(benchmark::kMillisecond);                                                   \
  BENCHMARK_CAPTURE(BM_Encode, name##_typical, std::string(#name), true)                 \
      ->Unit(benchmark::kMillisecond);                                                   \
  BENCHMARK_CAPTURE(BM_Decode, name, std::string(#name))->Unit(benchmark::kMillisecond); \
  BENCHMARK_CAPTURE(BM_Create, name, std::string(#name))->Unit(benchmark::kMillisecond)

TOKENIZER_BENCH(gpt2);
TOKENIZER_BENCH(llama3);
TOKENIZER_BENCH(qwen3);
TOKENIZER_BENCH(llama2);

}  // namespace
}  // namespace tokenfab::tokenizer

BENCHMARK_MAIN();
