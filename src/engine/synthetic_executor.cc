#include "tokenfab/engine/synthetic_executor.h"

#include <algorithm>
#include <string_view>

#include "tokenfab/base/check.h"
#include "tokenfab/base/splitmix64.h"
#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::engine {
namespace {

using base::SplitMix64Combine;

// Whether `s` is non-empty, valid UTF-8 and free of control characters (newline allowed) and
// of U+FFFD.
bool IsPlainText(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    const tokenizer::Utf8Char c = tokenizer::DecodeUtf8(s, i);
    if (c.codepoint == tokenizer::kInvalidCodepoint || c.codepoint == U'\uFFFD') return false;
    if (c.codepoint < 0x20 && c.codepoint != '\n') return false;
    i += c.length;
  }
  return true;
}

}  // namespace

SyntheticExecutor::SyntheticExecutor(const SyntheticExecutorOptions& options,
                                     const tokenizer::Tokenizer& tokenizer, StepPacer& pacer)
    : options_(options), tokenizer_(tokenizer), pacer_(pacer) {
  TF_CHECK(options.performance.Validate().ok()) << "invalid performance model";
  TF_CHECK(options.stop_probability >= 0 && options.stop_probability < 1);
  const auto& types = tokenizer.vocab().token_types;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (!types.empty() && types[id] != tokenizer::TokenType::kNormal) continue;
    if (tokenizer.IsControl(id) || tokenizer.IsEndOfGeneration(id)) continue;
    if (IsPlainText(tokenizer.TokenToPiece(id))) text_tokens_.push_back(id);
  }
  TF_CHECK(!text_tokens_.empty()) << "the vocabulary has no plain text token";
}

int32_t SyntheticExecutor::vocab_size() const { return tokenizer_.vocab_size(); }

Token SyntheticExecutor::TokenAt(uint64_t seed, int32_t position) const {
  const uint64_t h = SplitMix64Combine(seed, static_cast<uint64_t>(position));
  return text_tokens_[h % text_tokens_.size()];
}

Status SyntheticExecutor::Execute(const ScheduledBatch& batch,
                                  std::span<const ExecutorSequence> sequences,
                                  std::span<ExecutorResult> results) {
  TF_CHECK(!batch.empty());
  TF_CHECK(sequences.size() == batch.sequences.size() && results.size() == sequences.size());
  const int64_t start = pacer_.clock().NowMicros();
  for (size_t i = 0; i < batch.sequences.size(); ++i) {
    if (!batch.sequences[i].logits) continue;
    const ScheduledRequest& request = *sequences[i].request;
    const uint64_t seed = sequences[i].seed;
    const int32_t position = request.num_tokens();
    SampleResult& sample = results[i].sample;
    sample.token = TokenAt(seed, position);
    const std::vector<Token>& stops = request.sampling().stop_token_ids;
    if (options_.stop_probability > 0 && !stops.empty()) {
      const double u =
          static_cast<double>(
              SplitMix64Combine(seed ^ 0x5707ULL, static_cast<uint64_t>(position)) >> 11) *
          0x1.0p-53;
      if (u < options_.stop_probability) sample.token = stops.front();
    }
    const SamplingParams& params = request.sampling();
    if (params.logprobs) {
      sample.logprob = -0.05f;
      sample.top_logprobs.clear();
      if (params.top_logprobs > 0) sample.top_logprobs.push_back({sample.token, -0.05f});
      for (int32_t k = 1; static_cast<int32_t>(sample.top_logprobs.size()) < params.top_logprobs;
           ++k) {
        const Token alt =
            TokenAt(seed ^ SplitMix64Combine(0xa17ULL, static_cast<uint64_t>(k)), position);
        const bool seen = std::any_of(sample.top_logprobs.begin(), sample.top_logprobs.end(),
                                      [&](const TokenLogprob& t) { return t.token == alt; });
        if (seen && k < 64) continue;
        sample.top_logprobs.push_back({alt, -0.05f - 1.5f * static_cast<float>(k)});
      }
    }
  }
  pacer_.WaitUntil(start + options_.performance.StepMicros(batch));
  return absl::OkStatus();
}

}  // namespace tokenfab::engine
