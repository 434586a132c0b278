// SyntheticExecutor: the engine's compute replaced by a performance model, for `--engine
// synthetic`: load-testing gateways and fleets at a scale one machine cannot compute (as
// llm-d's inference simulator does). The scheduler, KV block manager and prefix cache are the
// real ones; only the forward pass and the sampler are modelled:
//   - time: each step lasts PerformanceModel::StepMicros(batch), waited through a StepPacer
//     (real sleep in production, a manual clock in tests), from the moment Execute() is
//     called (the engine's own overhead comes on top, as a real runner's does);
//   - tokens: drawn from the vocabulary's plain text tokens (no control or byte tokens), a pure
//     function of the request's seed and the token's position, so text is real text and runs
//     repeat; with `stop_probability` a token is, with that chance, the request's first stop
//     token (natural ends), otherwise max_tokens ends the request. No weights are loaded.
// Logprobs, when asked, are made up but well-formed (the chosen token first, log-probabilities
// decreasing).
//
// Ownership: borrows the tokenizer and the pacer, which must outlive it. Thread-safety: one
// Execute() at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tokenfab/engine/executor.h"
#include "tokenfab/engine/performance_model.h"
#include "tokenfab/engine/step_pacer.h"
#include "tokenfab/tokenizer/tokenizer.h"

namespace tokenfab::engine {

struct SyntheticExecutorOptions {
  PerformanceModel performance;
  double stop_probability = 0;  // per generated token, [0, 1)
};

class SyntheticExecutor final : public Executor {
 public:
  // REQUIRES: options.performance.Validate() OK; the vocabulary has at least one text token.
  SyntheticExecutor(const SyntheticExecutorOptions& options, const tokenizer::Tokenizer& tokenizer,
                    StepPacer& pacer);

  std::string_view name() const override { return "synthetic"; }
  int32_t vocab_size() const override;
  [[nodiscard]] Status Execute(const ScheduledBatch& batch,
                               std::span<const ExecutorSequence> sequences,
                               std::span<ExecutorResult> results) override;

  // The token a request with `seed` generates at `position` (absent a stop), for tests.
  Token TokenAt(uint64_t seed, int32_t position) const;
  const SyntheticExecutorOptions& options() const { return options_; }

 private:
  const SyntheticExecutorOptions options_;
  const tokenizer::Tokenizer& tokenizer_;
  StepPacer& pacer_;
  std::vector<Token> text_tokens_;  // ids of plain text tokens, ascending
};

}  // namespace tokenfab::engine
