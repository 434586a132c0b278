#include "tokenfab/engine/scheduler.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "engine/capacity_scheduler.h"
#include "engine/micro_batch_scheduler.h"
#include "tokenfab/base/check.h"

namespace tokenfab::engine {
namespace {

KvBlockManagerConfig KvConfigOf(const SchedulerConfig& config) {
  const Status valid = config.Validate();
  TF_CHECK(valid.ok()) << "invalid scheduler config: " << std::string(valid.message());
  KvBlockManagerConfig kv;
  kv.num_blocks = config.num_kv_blocks;
  kv.block_size = config.block_size;
  kv.enable_prefix_caching = config.enable_prefix_caching;
  return kv;
}

}  // namespace

Scheduler::Scheduler(const SchedulerConfig& config, base::Clock& clock, EngineMetrics* metrics)
    : config_(config),
      clock_(clock),
      metrics_(metrics),
      kv_(KvConfigOf(config)),
      capacity_(std::make_unique<CapacityScheduler>(config_, kv_)),
      micro_batch_(std::make_unique<MicroBatchScheduler>(config_.max_batch_tokens,
                                                         config_.max_prefill_chunk_tokens)) {
  PublishGauges();
}

Scheduler::~Scheduler() = default;

int32_t Scheduler::num_running() const { return capacity_->num_running(); }
int32_t Scheduler::num_waiting() const { return capacity_->num_waiting(); }

Status Scheduler::Submit(RequestSpec spec) {
  TF_RETURN_IF_ERROR(spec.sampling.Validate());
  if (spec.prompt.empty()) return absl::InvalidArgumentError("the prompt has no tokens");
  if (spec.tpot_slo_us < 0) {
    return absl::InvalidArgumentError(fmt::format("negative TPOT SLO {} µs", spec.tpot_slo_us));
  }
  for (Token t : spec.prompt) {
    if (t < 0) return absl::InvalidArgumentError(fmt::format("negative token id {} in prompt", t));
  }
  const int32_t prompt_len =
      static_cast<int32_t>(std::min<size_t>(spec.prompt.size(), static_cast<size_t>(INT32_MAX)));
  if (prompt_len >= config_.max_context_tokens) {
    return absl::InvalidArgumentError(
        fmt::format("the prompt has {} tokens; the context length of {} leaves no room to "
                    "generate",
                    spec.prompt.size(), config_.max_context_tokens));
  }
  if (live_.contains(spec.id)) {
    return absl::AlreadyExistsError(fmt::format("request {} is already live", spec.id));
  }
  const RequestId id = spec.id;
  const int32_t max_new =
      std::min(spec.sampling.max_tokens, config_.max_context_tokens - prompt_len);
  const int64_t now = clock_.NowMicros();
  const int64_t arrival = spec.arrival_us >= 0 ? std::min(spec.arrival_us, now) : now;
  auto request =
      std::make_unique<ScheduledRequest>(std::move(spec), arrival, next_arrival_seq_++, max_new);
  capacity_->Enqueue(request.get());
  live_.emplace(id, std::move(request));
  PublishGauges();
  return absl::OkStatus();
}

ScheduledRequest* Scheduler::Get(RequestId id) {
  const auto it = live_.find(id);
  return it == live_.end() ? nullptr : it->second.get();
}

const ScheduledRequest* Scheduler::Find(RequestId id) const {
  const auto it = live_.find(id);
  return it == live_.end() ? nullptr : it->second.get();
}

Status Scheduler::Cancel(RequestId id) {
  TF_CHECK(!in_flight_) << "Cancel() while step " << step_ << " is in flight";
  ScheduledRequest* request = Get(id);
  if (request == nullptr) return absl::NotFoundError(fmt::format("no live request {}", id));
  Terminate(request, RequestState::kCancelled, FinishReason::kNone, clock_.NowMicros());
  PublishGauges();
  return absl::OkStatus();
}

Status Scheduler::Fail(RequestId id) {
  TF_CHECK(!in_flight_) << "Fail() while step " << step_ << " is in flight";
  ScheduledRequest* request = Get(id);
  if (request == nullptr) return absl::NotFoundError(fmt::format("no live request {}", id));
  Terminate(request, RequestState::kFailed, FinishReason::kNone, clock_.NowMicros());
  PublishGauges();
  return absl::OkStatus();
}

void Scheduler::Terminate(ScheduledRequest* request, RequestState state, FinishReason reason,
                          int64_t now_us) {
  capacity_->Remove(request);
  request->TransitionTo(state, now_us, reason);
  if (metrics_ != nullptr) {
    metrics_->CountFinished(request->finish_reason());
    metrics_->ObserveEndToEnd(now_us - request->times().arrival_us);
  }
  const auto it = live_.find(request->id());
  TF_CHECK(it != live_.end());
  terminated_.push_back(std::move(it->second));
  live_.erase(it);
}

std::vector<MicroBatchEntry> Scheduler::PlanTokens(
    std::span<ScheduledRequest* const> running) const {
  std::vector<MicroBatchCandidate> candidates;
  candidates.reserve(running.size());
  int64_t tightest_slo_us = 0;  // among the decoding requests; 0: none has one
  for (const ScheduledRequest* r : running) {
    const bool decoding = r->state() == RequestState::kDecoding;
    candidates.push_back(
        {r->num_tokens() - r->num_computed_tokens(), decoding, r->num_computed_tokens()});
    const int64_t slo = r->spec().tpot_slo_us > 0 ? r->spec().tpot_slo_us : config_.tpot_slo_us;
    if (decoding && slo > 0 && (tightest_slo_us == 0 || slo < tightest_slo_us)) {
      tightest_slo_us = slo;
    }
  }
  StepTimeLimit limit{config_.step_model, static_cast<double>(tightest_slo_us),
                      config_.min_prefill_tokens};
  return micro_batch_->Plan(candidates, tightest_slo_us > 0 ? &limit : nullptr);
}

ScheduledBatch Scheduler::Schedule() {
  TF_CHECK(!in_flight_) << "Schedule() before Update() of step " << step_;
  const int64_t now = clock_.NowMicros();
  ScheduledBatch batch;
  batch.step = ++step_;
  const CapacityDecision decision = capacity_->Schedule(now);
  for (const ScheduledRequest* r : decision.preempted) batch.preempted.push_back(r->id());
  for (const ScheduledRequest* r : decision.admitted) {
    batch.admitted.push_back(r->id());
    if (metrics_ == nullptr) continue;
    if (r->num_preemptions() == 0) metrics_->ObserveQueueTime(now - r->times().arrival_us);
    if (config_.enable_prefix_caching) {
      metrics_->CountPrefixLookup(r->num_tokens(), r->num_computed_tokens());
    }
  }
  if (metrics_ != nullptr && !decision.preempted.empty()) {
    metrics_->CountPreemptions(static_cast<int32_t>(decision.preempted.size()));
  }

  const std::vector<MicroBatchEntry> plan = PlanTokens(decision.running);
  batch.sequences.reserve(plan.size());
  for (const MicroBatchEntry& entry : plan) {
    const ScheduledRequest* r = decision.running[entry.index];
    ScheduledSequence seq;
    seq.id = r->id();
    seq.position = r->num_computed_tokens();
    seq.tokens = r->tokens().subspan(seq.position, entry.num_tokens);
    seq.block_table = kv_.BlockTable(r->id());
    seq.logits = seq.position + entry.num_tokens == r->num_tokens();
    seq.prefill = r->state() == RequestState::kPrefilling;
    batch.num_tokens += entry.num_tokens;
    (seq.prefill ? batch.num_prefill_tokens : batch.num_decode_tokens) += entry.num_tokens;
    batch.sequences.push_back(seq);
  }
  in_flight_ = !batch.empty();
  PublishGauges();
  return batch;
}

std::vector<RequestUpdate> Scheduler::Update(const ScheduledBatch& batch,
                                             std::span<const SequenceResult> results) {
  TF_CHECK_EQ(batch.step, step_) << "Update() of a batch that is not the last scheduled";
  TF_CHECK_EQ(results.size(), batch.sequences.size()) << "one result per scheduled sequence";
  std::vector<RequestUpdate> updates;
  if (batch.empty()) return updates;
  TF_CHECK(in_flight_) << "step " << step_ << " updated twice";
  const int64_t now = clock_.NowMicros();
  updates.reserve(batch.sequences.size());
  for (size_t i = 0; i < batch.sequences.size(); ++i) {
    const ScheduledSequence& seq = batch.sequences[i];
    const SequenceResult& result = results[i];
    ScheduledRequest* request = Get(seq.id);
    TF_CHECK(request != nullptr) << "scheduled request " << seq.id << " vanished";
    TF_CHECK(IsRunning(request->state()) && request->num_computed_tokens() == seq.position)
        << "request " << seq.id << " changed while its step was in flight";
    const int32_t computed = seq.position + static_cast<int32_t>(seq.tokens.size());
    request->SetComputedTokens(computed);
    // Commit has work only when the step fills a block: what it committed last covers every
    // full block before seq.position (admission committed the cached prefix). Most decode
    // steps fill none; skipping them saves a lookup per sequence per step.
    if (computed / config_.block_size != seq.position / config_.block_size) {
      kv_.Commit(request->id(), request->tokens(), computed);
    }
    if (result.finish == FinishReason::kError) {
      Terminate(request, RequestState::kFailed, FinishReason::kError, now);
      updates.push_back(
          {seq.id, kNoToken, false, false, RequestState::kFailed, FinishReason::kError});
      continue;
    }
    if (!seq.logits) {
      TF_CHECK(result.token == kNoToken && result.finish == FinishReason::kNone)
          << "a result for request " << seq.id << ", which sampled nothing this step";
      continue;
    }
    updates.push_back(ApplyToken(request, result, now));
  }
  in_flight_ = false;
  PublishGauges();
  return updates;
}

RequestUpdate Scheduler::ApplyToken(ScheduledRequest* request, const SequenceResult& result,
                                    int64_t now_us) {
  TF_CHECK(result.token >= 0) << "request " << request->id() << " sampled no token";
  TF_CHECK(result.finish == FinishReason::kNone || result.finish == FinishReason::kStop)
      << "request " << request->id() << ": unexpected finish reason from the engine";
  const bool first = request->num_generated_tokens() == 0;
  const int64_t previous_token_us = request->times().last_token_us;
  request->AppendToken(result.token, now_us);
  if (metrics_ != nullptr) {
    metrics_->CountGenerationTokens(1);
    if (first) {
      metrics_->ObserveTimeToFirstToken(now_us - request->times().arrival_us);
      metrics_->CountPromptTokens(request->num_prompt_tokens());
    } else {
      metrics_->ObserveTimePerOutputToken(now_us - previous_token_us);
    }
  }
  RequestUpdate update;
  update.id = request->id();
  update.token = result.token;
  update.first_token = first;
  update.stop_token = request->sampling().IsStopToken(result.token);
  if (update.stop_token || result.finish == FinishReason::kStop) {
    update.finish_reason = FinishReason::kStop;
  } else if (request->num_generated_tokens() >= request->max_new_tokens()) {
    update.finish_reason = FinishReason::kLength;
  }
  if (update.finish_reason != FinishReason::kNone) {
    Terminate(request, RequestState::kFinished, update.finish_reason, now_us);
  } else if (request->state() == RequestState::kPrefilling) {
    request->TransitionTo(RequestState::kDecoding, now_us);
  }
  update.state = request->state();
  return update;
}

std::vector<std::unique_ptr<ScheduledRequest>> Scheduler::TakeTerminated() {
  return std::exchange(terminated_, {});
}

void Scheduler::PublishGauges() {
  if (metrics_ == nullptr) return;
  metrics_->SetRunning(num_running());
  metrics_->SetWaiting(num_waiting());
  metrics_->SetKvCacheUsage(kv_.Usage());
}

void Scheduler::CheckInvariants() const {
  kv_.CheckInvariants();
  int32_t running = 0;
  int32_t waiting = 0;
  for (const auto& [id, request] : live_) {
    TF_CHECK_EQ(id, request->id());
    TF_CHECK(!IsTerminal(request->state())) << "terminated request " << id << " still live";
    TF_CHECK(capacity_->IsQueued(request.get())) << "request " << id << " in no queue";
    TF_CHECK(request->num_computed_tokens() <= request->num_tokens());
    if (IsRunning(request->state())) {
      ++running;
      TF_CHECK(kv_.Contains(id)) << "running request " << id << " holds no KV blocks";
      const auto table = kv_.BlockTable(id);
      TF_CHECK(static_cast<int64_t>(table.size()) * config_.block_size >=
               request->num_computed_tokens())
          << "request " << id << " computed more tokens than its blocks hold";
      if (request->state() == RequestState::kDecoding && !in_flight_) {
        TF_CHECK_EQ(request->num_computed_tokens(), request->num_tokens() - 1);
      }
    } else {
      ++waiting;
      TF_CHECK(!kv_.Contains(id)) << "waiting request " << id << " holds KV blocks";
      TF_CHECK_EQ(request->num_computed_tokens(), 0);
    }
  }
  TF_CHECK_EQ(running, capacity_->num_running());
  TF_CHECK_EQ(waiting, capacity_->num_waiting());
  TF_CHECK_EQ(running, kv_.num_sequences());
  TF_CHECK(running <= config_.max_running_sequences);
  for (const auto& request : terminated_) TF_CHECK(IsTerminal(request->state()));
}

}  // namespace tokenfab::engine
