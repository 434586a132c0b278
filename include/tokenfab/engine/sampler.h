// Sampler: chooses one sequence's next token from the model's logits, following the sequence's
// SamplingParams, and reports log-probabilities when asked.
//
// The chain, in llama.cpp's default order (common/sampling's "penalties; top_k; top_p; min_p;
// temperature; dist", less the samplers we do not offer):
//   1. penalties, on the logits: repetition (over the last repetition_last_n tokens, prompt and
//      generated, as llama.cpp and vLLM do), then presence and frequency (over the generated
//      tokens only, as OpenAI defines them);
//   2. greedy when temperature is 0: the highest logit, the lowest token id on a tie;
//   3. top-k, then top-p on the distribution renormalised over the top-k survivors at
//      temperature 1, then min-p (p >= min_p * p_max, which is logit >= max + ln min_p: the
//      ratio is unchanged by renormalisation and the top token survives every stage, so min-p
//      after top-k/top-p is exactly an intersection with that logit threshold);
//   4. temperature, on the survivors: p_i proportional to exp((l_i - l_max) / T);
//   5. one uniform draw from the sequence's own generator (seeded: the same seed and logits give
//      the same tokens on every platform).
// Ties are broken by token id (lower first) wherever a cut falls, so results are deterministic.
//
// Log-probabilities follow vLLM's default ("raw_logprobs") and the OpenAI API's meaning: they
// come from the model's own distribution, the log-softmax of the logits as the runner produced
// them, before penalties, temperature and truncation. `logprob` is the chosen token's; the
// alternatives are the top_logprobs most likely tokens under that distribution, most likely first
// (the chosen token need not be among them).
//
// Cost on a vocabulary of V tokens: penalties touch only tokens in the history; greedy is one
// pass; top-k/min-p select in one pass (a k-element heap, no sort of V); top-p without top-k
// sums the distribution in one pass and tries the 64 best tokens; when they do not hold the mass
// it buckets the logits (1/16 wide) in one more pass and sorts only the bucket where the mass
// crosses; plain temperature sampling needs no sort at all. Exponentials and sums are
// vectorised (fast_math.h).
//
// Ownership: copies its parameters and holds its random generator. Scratch buffers (up to V
// candidates) are per thread, not per sampler, so thousands of live sequences cost no memory
// beyond their parameters. Not thread-safe: one Sampler per sequence, used by one thread at a
// time (different samplers may run on different threads at once).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tokenfab/base/random.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::engine {

struct TokenLogprob {
  Token token = kNoToken;
  float logprob = 0;  // natural log
};

struct SampleResult {
  Token token = kNoToken;
  // Filled only when the parameters ask for logprobs (see the file comment).
  float logprob = 0;
  std::vector<TokenLogprob> top_logprobs;  // [min(top_logprobs, V)], most likely first
};

class Sampler {
 public:
  // `seed` seeds this sequence's generator: params.seed when the client gave one, otherwise a
  // value the engine draws from its own base::Random. REQUIRES: params.Validate() is OK.
  Sampler(const SamplingParams& params, uint64_t seed);

  // Chooses the next token. `logits` is the model's output row [V] for the sequence's last
  // position; it is used as scratch and overwritten. `tokens` is the sequence so far, the first
  // `num_prompt_tokens` of them the prompt (ids outside [0, V) are ignored by the penalties).
  // DataLoss when a logit is NaN or +inf or none is finite (a broken forward pass): the engine
  // fails the request. -inf logits are masked tokens and never chosen.
  [[nodiscard]] StatusOr<SampleResult> Sample(std::span<float> logits,
                                              std::span<const Token> tokens,
                                              int32_t num_prompt_tokens);

  const SamplingParams& params() const { return params_; }

 private:
  struct Candidate {
    float logit;
    Token token;
  };

  void ApplyPenalties(std::span<float> logits, std::span<const Token> tokens,
                      int32_t num_prompt_tokens);
  // Sets a logit, remembering its raw value the first time (for the chosen token's logprob).
  void SetLogit(std::span<float> logits, Token token, float value);
  float RawLogit(std::span<const float> logits, Token token) const;
  // The k best candidates (highest logit, then lowest id), best first, into the workspace.
  void SelectTop(std::span<const float> logits, int32_t k);
  // Keeps the candidates the chain keeps (top-k, top-p, min-p); max_logit over all of V.
  void Truncate(std::span<float> logits, float max_logit);
  // Cuts the sorted candidates after the first whose cumulative mass reaches `target` (or
  // before the first below the min-p threshold). Returns false, changing nothing, when neither
  // happens and the candidates are not `complete` (more tokens lie beyond them).
  bool KeepMassPrefix(double target, float max_logit, float threshold, bool complete);
  // Top-p over all of V in linear time, from the weights in the workspace (see sampler.cc).
  void TopPByBuckets(std::span<const float> logits, float max_logit, double target,
                     float threshold);
  // Higher logit first, then lower id.
  static bool Better(const Candidate& a, const Candidate& b);
  // Below the min-p logit threshold, or masked.
  static bool BelowMinP(const Candidate& c, float threshold);
  Token DrawFromCandidates(float max_logit);
  Token DrawFromAll(std::span<float> logits, float max_logit);

  // The calling thread's scratch buffers (sampler.cc).
  struct Workspace;
  static Workspace& ThreadWorkspace();

  const SamplingParams params_;
  base::Random rng_;
  Workspace* ws_ = nullptr;  // the thread's workspace, during Sample() only
};

}  // namespace tokenfab::engine
