#include "tokenfab/engine/engine.h"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "engine/engine_inbox.h"
#include "engine/engine_loop.h"
#include "engine/request_channel.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/splitmix64.h"

namespace tokenfab::engine {
namespace {

// A request's default seed from the engine seed and its id: output id + 1 of the SplitMix64
// generator seeded with `seed`.
uint64_t MixSeed(uint64_t seed, uint64_t id) {
  return base::SplitMix64Mix(seed + base::kSplitMix64Increment * (id + 1));
}

}  // namespace

Status EngineOptions::Validate() const {
  TF_RETURN_IF_ERROR(scheduler.Validate());
  if (max_waiting_requests < 1) {
    return absl::InvalidArgumentError(
        fmt::format("max_waiting_requests must be at least 1, not {}", max_waiting_requests));
  }
  if (max_reported_block_hashes < 0) {
    return absl::InvalidArgumentError("max_reported_block_hashes must not be negative");
  }
  if (load_hashes_refresh_us < 0) {
    return absl::InvalidArgumentError("load_hashes_refresh_us must not be negative");
  }
  if (rate_time_constant_us <= 0) {
    return absl::InvalidArgumentError("rate_time_constant_us must be positive");
  }
  return absl::OkStatus();
}

std::optional<int64_t> RetryAfterMillis(const Status& status) {
  if (!absl::IsResourceExhausted(status)) return std::nullopt;
  const auto payload = status.GetPayload(internal::kRetryAfterPayload);
  if (!payload.has_value()) return std::nullopt;
  int64_t ms = 0;
  for (char c : std::string(*payload)) {
    if (c < '0' || c > '9') return std::nullopt;
    ms = ms * 10 + (c - '0');
  }
  return ms;
}

StatusOr<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options,
                                                 std::unique_ptr<Executor> executor,
                                                 const tokenizer::Tokenizer& tokenizer,
                                                 base::Clock& clock,
                                                 base::MetricsRegistry* registry) {
  TF_RETURN_IF_ERROR(options.Validate());
  if (executor == nullptr) return absl::InvalidArgumentError("the engine needs an executor");
  if (executor->vocab_size() < tokenizer.vocab_size()) {
    return absl::InvalidArgumentError(
        fmt::format("the executor's vocabulary ({} tokens) is smaller than the tokenizer's ({})",
                    executor->vocab_size(), tokenizer.vocab_size()));
  }
  return std::unique_ptr<Engine>(
      new Engine(options, std::move(executor), tokenizer, clock, registry));
}

Engine::Engine(const EngineOptions& options, std::unique_ptr<Executor> executor,
               const tokenizer::Tokenizer& tokenizer, base::Clock& clock,
               base::MetricsRegistry* registry)
    : options_(options), tokenizer_(tokenizer), clock_(clock) {
  if (registry != nullptr) {
    metrics_ = std::make_unique<EngineMetrics>(*registry, options.metric_labels);
  }
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.IsEndOfGeneration(id)) end_of_generation_.push_back(id);
  }
  loop_ = std::make_unique<internal::EngineLoop>(options, std::move(executor), tokenizer, clock,
                                                 metrics_.get());
}

Engine::~Engine() { Shutdown(); }

void Engine::Start() { loop_->Start(); }

StatusOr<RequestHandle> Engine::Submit(EngineRequest request) {
  TF_RETURN_IF_ERROR(request.sampling.Validate());
  if (request.prompt.empty()) return absl::InvalidArgumentError("the prompt has no tokens");
  const int32_t vocab = loop_->executor().vocab_size();
  for (Token t : request.prompt) {
    if (t < 0 || t >= vocab) {
      return absl::InvalidArgumentError(
          fmt::format("token id {} in the prompt is outside the vocabulary of {}", t, vocab));
    }
  }
  const int32_t max_context = options_.scheduler.max_context_tokens;
  if (request.prompt.size() >= static_cast<size_t>(max_context)) {
    return absl::InvalidArgumentError(fmt::format(
        "the prompt has {} tokens; the context length is {}, leaving no room to generate",
        request.prompt.size(), max_context));
  }
  if (!request.ignore_eos) {
    std::vector<Token>& stops = request.sampling.stop_token_ids;
    for (Token t : end_of_generation_) {
      if (std::find(stops.begin(), stops.end(), t) == stops.end()) stops.push_back(t);
    }
  }
  const RequestId id = next_id_.fetch_add(1, std::memory_order_relaxed);
  internal::Submission submission;
  submission.seed = request.sampling.seed.value_or(MixSeed(options_.seed, id));
  submission.channel =
      std::make_shared<internal::RequestChannel>(id, std::move(request.on_events), loop_->inbox());
  submission.spec.id = id;
  submission.spec.tenant_salt = request.tenant_salt;
  submission.spec.prompt = std::move(request.prompt);
  submission.spec.priority = request.priority;
  submission.spec.deadline_us = request.deadline_us;
  submission.spec.tpot_slo_us = request.tpot_slo_us;
  submission.spec.arrival_us = clock_.NowMicros();
  submission.spec.sampling = std::move(request.sampling);
  std::shared_ptr<internal::RequestChannel> channel = submission.channel;
  TF_RETURN_IF_ERROR(loop_->inbox()->PushSubmit(std::move(submission)));
  return RequestHandle(std::move(channel));
}

std::shared_ptr<const EngineLoad> Engine::Load() const { return loop_->Load(); }

bool Engine::RunOnce() { return loop_->RunOnce(); }

void Engine::RunUntilIdle() {
  while (loop_->RunOnce()) {
  }
}

void Engine::Shutdown() {
  if (loop_ != nullptr) loop_->Shutdown();
}

const Executor& Engine::executor() const { return loop_->executor(); }

const Scheduler& Engine::scheduler_for_testing() const { return loop_->scheduler(); }

}  // namespace tokenfab::engine
