#include "engine/engine_loop.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"
#include "tokenfab/engine/queue_delay.h"

namespace tokenfab::engine::internal {

EngineLoop::Live::Live(const Submission& submission, const tokenizer::Tokenizer& tokenizer)
    : channel(submission.channel),
      sampler(submission.spec.sampling, submission.seed),
      detokenizer(tokenizer),
      stops(submission.spec.sampling.stop_strings),
      seed(submission.seed) {}

EngineLoop::EngineLoop(const EngineOptions& options, std::unique_ptr<Executor> executor,
                       const tokenizer::Tokenizer& tokenizer, base::Clock& clock,
                       EngineMetrics* metrics)
    : options_(options),
      tokenizer_(tokenizer),
      clock_(clock),
      executor_(std::move(executor)),
      scheduler_(options.scheduler, clock, metrics),
      inbox_(std::make_shared<EngineInbox>(options.max_waiting_requests)),
      rates_(options.rate_time_constant_us) {
  PublishLoad();
}

EngineLoop::~EngineLoop() { Shutdown(); }

std::shared_ptr<const EngineLoad> EngineLoop::Load() const {
  absl::MutexLock lock(&load_mu_);
  return load_;
}

void EngineLoop::Start() {
  TF_CHECK(!thread_.joinable() && !shutting_down_) << "the engine was started already";
  thread_ = std::thread([this] { ThreadMain(); });
}

void EngineLoop::ThreadMain() {
  for (;;) {
    TakeInbox();
    if (inbox_->closed()) break;
    if (!Step()) inbox_->WaitForWork();
  }
  CancelAll();
}

bool EngineLoop::RunOnce() {
  TF_CHECK(!thread_.joinable()) << "RunOnce() on an engine with its own thread";
  TakeInbox();
  return Step();
}

void EngineLoop::Shutdown() {
  inbox_->Close();
  if (thread_.joinable()) {
    thread_.join();
  } else if (!shutting_down_) {
    TakeInbox();
    CancelAll();
  }
  shutting_down_ = true;
}

void EngineLoop::TakeInbox() {
  taken_.clear();
  cancels_.clear();
  inbox_->Take(&taken_, &cancels_);
  if (taken_.empty() && cancels_.empty()) return;
  for (Submission& submission : taken_) {
    const RequestId id = submission.spec.id;
    auto live = std::make_unique<Live>(submission, tokenizer_);
    const Status status = scheduler_.Submit(std::move(submission.spec));
    if (!status.ok()) {
      // Submit() validated the request already; this is a defect, reported to the client.
      EngineEvent event;
      event.kind = EngineEvent::Kind::kFinished;
      event.finish_reason = FinishReason::kError;
      event.status = status;
      live->outbox.push_back(std::move(event));
      live->channel->Deliver(&live->outbox);
      continue;
    }
    live_.emplace(id, std::move(live));
  }
  for (RequestId id : cancels_) {
    if (live_.contains(id)) (void)scheduler_.Cancel(id);  // NotFound: it ended meanwhile
  }
  FinishTerminated();
  PublishLoad();
  DeliverTouched();
}

void EngineLoop::CancelAll() {
  shutting_down_ = true;
  std::vector<RequestId> ids;
  ids.reserve(live_.size());
  for (const auto& [id, live] : live_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (RequestId id : ids) {
    live_[id]->error = absl::UnavailableError("the engine shut down");
    TF_CHECK(scheduler_.Cancel(id).ok());
  }
  FinishTerminated();
  PublishLoad();
  DeliverTouched();
}

bool EngineLoop::Step() {
  if (!scheduler_.HasWork()) return false;
  const int64_t start_us = clock_.NowMicros();
  const ScheduledBatch batch = scheduler_.Schedule();
  if (batch.empty()) return false;
  Execute(batch);
  const std::vector<RequestUpdate> updates = scheduler_.Update(batch, results_);
  // Updates come in the order of the scheduled sequences that produced them.
  size_t next = 0;
  for (const RequestUpdate& update : updates) {
    while (batch.sequences[next].id != update.id) ++next;
    Live& live = *live_.at(update.id);
    if (update.token != kNoToken && !update.stop_token) {
      QueueTokenEvent(live, update, exec_results_[next]);
    }
  }
  FinishTerminated();
  rates_.Record(clock_.NowMicros() - start_us, batch.num_prefill_tokens, batch.num_decode_tokens);
  // The snapshot first: a client that sees its request end sees its blocks released.
  PublishLoad();
  DeliverTouched();
  if (options_.check_invariants) scheduler_.CheckInvariants();
  return true;
}

void EngineLoop::Execute(const ScheduledBatch& batch) {
  const size_t n = batch.sequences.size();
  exec_sequences_.clear();
  for (const ScheduledSequence& seq : batch.sequences) {
    Live& live = *live_.at(seq.id);
    exec_sequences_.push_back({scheduler_.Find(seq.id), &live.sampler, live.seed});
  }
  exec_results_.assign(n, ExecutorResult{});
  const Status status = executor_->Execute(batch, exec_sequences_, exec_results_);
  results_.assign(n, SequenceResult{});
  for (size_t i = 0; i < n; ++i) {
    const ScheduledSequence& seq = batch.sequences[i];
    Live& live = *live_.at(seq.id);
    if (!status.ok() || !exec_results_[i].status.ok()) {
      live.error = status.ok() ? exec_results_[i].status : status;
      results_[i].finish = FinishReason::kError;
      continue;
    }
    if (seq.logits) results_[i] = Consume(live, *exec_sequences_[i].request, exec_results_[i]);
  }
}

SequenceResult EngineLoop::Consume(Live& live, const ScheduledRequest& request,
                                   const ExecutorResult& executed) {
  SequenceResult result;
  result.token = executed.sample.token;
  live.step_text.clear();
  if (request.sampling().IsStopToken(result.token)) return result;  // its text is never shown
  StopMatcher::Output out = live.stops.Push(live.detokenizer.Push(result.token));
  live.step_text = std::move(out.text);
  if (out.stopped) result.finish = FinishReason::kStop;
  return result;
}

void EngineLoop::QueueTokenEvent(Live& live, const RequestUpdate& update,
                                 const ExecutorResult& executed) {
  EngineEvent event;
  event.kind = EngineEvent::Kind::kToken;
  event.token = update.token;
  event.text = std::move(live.step_text);
  live.step_text.clear();
  if (live.sampler.params().logprobs) {
    event.has_logprobs = true;
    event.logprob = executed.sample.logprob;
    event.top_logprobs = executed.sample.top_logprobs;
  }
  if (live.outbox.empty()) touched_.push_back(&live);
  live.outbox.push_back(std::move(event));
}

void EngineLoop::FinishTerminated() {
  for (std::unique_ptr<ScheduledRequest>& request : scheduler_.TakeTerminated()) {
    const auto it = live_.find(request->id());
    TF_CHECK(it != live_.end()) << "request " << request->id() << " ended without its state";
    Live& live = *it->second;
    EngineEvent event;
    event.kind = EngineEvent::Kind::kFinished;
    switch (request->state()) {
      case RequestState::kFinished:
        event.finish_reason = request->finish_reason();
        break;
      case RequestState::kCancelled:
        event.finish_reason = FinishReason::kCancelled;
        event.status = live.error;  // OK, or Unavailable at shutdown
        break;
      default:
        TF_CHECK(request->state() == RequestState::kFailed);
        event.finish_reason = FinishReason::kError;
        event.status = live.error.ok() ? absl::InternalError("the request failed") : live.error;
        break;
    }
    if (request->state() != RequestState::kFailed && !live.stops.stopped()) {
      StopMatcher::Output tail = live.stops.Push(live.detokenizer.Flush());
      event.text = std::move(tail.text);
      if (!tail.stopped) event.text += live.stops.Flush();
    }
    event.usage.prompt_tokens = request->num_prompt_tokens();
    event.usage.cached_prompt_tokens = request->num_cached_prompt_tokens();
    event.usage.completion_tokens = request->num_generated_tokens();
    const RequestTimes& t = request->times();
    if (t.first_scheduled_us >= 0) event.timings.queue_us = t.first_scheduled_us - t.arrival_us;
    if (t.first_token_us >= 0) event.timings.ttft_us = t.first_token_us - t.arrival_us;
    if (request->num_generated_tokens() >= 2) {
      event.timings.tpot_us =
          (t.last_token_us - t.first_token_us) / (request->num_generated_tokens() - 1);
    }
    event.timings.total_us = t.finished_us - t.arrival_us;
    event.timings.preemptions = request->num_preemptions();
    if (live.outbox.empty()) touched_.push_back(&live);
    live.outbox.push_back(std::move(event));
    ended_.push_back(std::move(it->second));  // kept until delivered
    live_.erase(it);
  }
}

void EngineLoop::DeliverTouched() {
  for (Live* live : touched_) live->channel->Deliver(&live->outbox);
  touched_.clear();
  ended_.clear();
}

double EngineLoop::QueueDelayMs(EngineLoad& load) const {
  QueueDelayInputs inputs;
  for (const auto& [id, live] : live_) {
    if (const ScheduledRequest* r = scheduler_.Find(id)) inputs.Add(*r);
  }
  load.prefill_tokens_queued = inputs.prefill_tokens;
  load.decode_sequences = inputs.decode_sequences;
  load.kv_tokens = inputs.kv_tokens;
  return EstimateQueueDelayMs(inputs, load.prefill_tokens_per_s, load.tpot_ms, load.running,
                              load.max_running);
}

void EngineLoop::PublishLoad() {
  const int64_t now = clock_.NowMicros();
  const KvBlockManager& kv = scheduler_.kv();
  const SchedulerConfig& config = scheduler_.config();
  auto load = std::make_shared<EngineLoad>();
  load->updated_us = now;
  load->steps = scheduler_.step();
  load->running = scheduler_.num_running();
  load->waiting = scheduler_.num_waiting();
  load->max_running = config.max_running_sequences;
  load->max_waiting = options_.max_waiting_requests;
  load->kv_blocks_total = kv.num_blocks();
  load->kv_blocks_free = kv.num_available_blocks();
  load->block_tokens = kv.block_size();
  load->kv_usage = kv.Usage();
  load->prefill_tokens_per_s = rates_.prefill_tokens_per_s();
  load->decode_tokens_per_s = rates_.decode_tokens_per_s();
  load->tpot_ms = rates_.tpot_us() / 1000.0;

  load->queue_delay_ms = QueueDelayMs(*load);

  load->prefix_caching = kv.prefix_caching();
  if (kv.prefix_caching()) {
    const PrefixCache& cache = kv.prefix_cache();
    load->prefix_hit_rate = cache.stats().TokenHitRate();
    load->prefix_cached_blocks = cache.num_cached_blocks();
    if (hashes_refreshed_us_ < 0 || now - hashes_refreshed_us_ >= options_.load_hashes_refresh_us) {
      hashes_ = cache.RecentHashes(options_.max_reported_block_hashes);
      hashes_refreshed_us_ = now;
    }
    load->block_hashes = hashes_;
  }
  const int64_t retry_ms =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::max(load->queue_delay_ms, load->tpot_ms))));
  inbox_->SetEngineWaiting(load->waiting, retry_ms);
  absl::MutexLock lock(&load_mu_);
  load_ = std::move(load);
}

}  // namespace tokenfab::engine::internal
