// Engine: serves many generation requests at once on one executor (a model, or the synthetic
// performance model) with continuous batching, the paged KV cache and the prefix cache.
//
// Clients call Submit() from any thread and get a RequestHandle that streams the request's
// events (request_handle.h). One engine thread runs the loop
//
//   take submissions and cancellations -> Scheduler::Schedule() -> Executor::Execute()
//   -> per sequence: detokenize at UTF-8 boundaries, match stop strings -> Scheduler::Update()
//   -> deliver events to the handles -> publish the load snapshot
//
// and sleeps on a condition variable while there is nothing to run (woken by Submit() and
// Cancel(), never spinning). Each request gets its own Sampler (seeded), StreamingDetokenizer
// and StopMatcher on the engine thread; its events are delivered through a queue the consumer
// drains on its own thread (see request_handle.h for why).
//
// Admission control: at most EngineOptions::max_waiting_requests requests wait (submitted and
// not yet admitted to the KV cache, preempted included). Beyond that Submit() fails with
// ResourceExhausted, carrying an estimate of when to retry (RetryAfterMillis()), which the node
// turns into 429/503 with Retry-After.
//
// Without Start() no thread runs and the owner drives the loop with RunOnce() (tests, and
// simulations on a manual clock).
//
// Ownership: owns the scheduler (with the KV block manager and prefix cache), the executor and
// the per-request state; borrows the tokenizer, the clock and the metrics registry, which must
// outlive it. Thread-safety: Submit(), Load(), RetryAfter estimates and the handles are
// thread-safe; Start(), RunOnce() and Shutdown() are for the owner.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/engine_load.h"
#include "tokenfab/engine/engine_metrics.h"
#include "tokenfab/engine/engine_request.h"
#include "tokenfab/engine/executor.h"
#include "tokenfab/engine/request_handle.h"
#include "tokenfab/engine/scheduler.h"
#include "tokenfab/engine/scheduler_config.h"
#include "tokenfab/tokenizer/tokenizer.h"

namespace tokenfab::engine {

namespace internal {
class EngineLoop;
}  // namespace internal

struct EngineOptions {
  // Limits: context length, running sequences, KV blocks, token budget, prefill chunk, prefix
  // caching. See DefaultSchedulerConfig() and ModelExecutor for defaults from a model.
  SchedulerConfig scheduler;
  // Requests allowed to wait for admission; Submit() beyond that is ResourceExhausted. >= 1.
  int32_t max_waiting_requests = 1024;
  // Seeds the generator that draws a seed for each request that brings none.
  uint64_t seed = 0x746f6b656e666162ULL;
  // Labels on every engine metric, e.g. {{"model", "demo"}}.
  base::MetricLabels metric_labels;
  // The load snapshot reports at most this many cached block hashes (most recent first), and
  // recomputes them at most this often (engine clock, µs).
  int32_t max_reported_block_hashes = 4096;
  int64_t load_hashes_refresh_us = 100'000;
  // Time constant of the load snapshot's rate averages (µs of busy engine time).
  int64_t rate_time_constant_us = 2'000'000;
  // Audit the scheduler and KV accounting after every step (tests; O(requests + blocks)).
  bool check_invariants = false;

  // InvalidArgument naming the first bad field.
  [[nodiscard]] Status Validate() const;
};

// The Retry-After estimate a ResourceExhausted from Submit() carries, ms; nullopt for any other
// status.
std::optional<int64_t> RetryAfterMillis(const Status& status);

class Engine {
 public:
  // Checks `options` (also against the executor: vocabulary size) and builds the engine; no
  // thread runs until Start(). `registry` may be null (no metrics).
  [[nodiscard]] static StatusOr<std::unique_ptr<Engine>> Create(
      const EngineOptions& options, std::unique_ptr<Executor> executor,
      const tokenizer::Tokenizer& tokenizer, base::Clock& clock,
      base::MetricsRegistry* registry = nullptr);

  // Shutdown(), then frees everything.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts the engine thread. REQUIRES: not started, not shut down.
  void Start();

  // Validates and queues a request. Errors (nothing queued):
  //   InvalidArgument     bad sampling parameters, an empty prompt, a token id outside the
  //                       vocabulary, a prompt that leaves no room to generate in the context
  //   ResourceExhausted   the waiting queue is full (RetryAfterMillis() has an estimate)
  //   Unavailable         the engine is shut down
  // The handle's events start once the engine thread takes the request.
  [[nodiscard]] StatusOr<RequestHandle> Submit(EngineRequest request);

  // The latest load snapshot. Thread-safe; never blocks on the engine thread.
  std::shared_ptr<const EngineLoad> Load() const;

  // Without a thread: takes pending submissions and cancellations and runs one step if any
  // request can run. Returns whether a step ran. REQUIRES: not started.
  bool RunOnce();
  // RunOnce() until no request is live. REQUIRES: not started.
  void RunUntilIdle();

  // Stops taking requests, ends every live one (kCancelled, status Unavailable), stops the
  // thread. Idempotent.
  void Shutdown();

  const EngineOptions& options() const { return options_; }
  const Executor& executor() const;
  const tokenizer::Tokenizer& tokenizer() const { return tokenizer_; }
  // Null when created without a registry.
  const EngineMetrics* metrics() const { return metrics_.get(); }

  // For tests, on the engine thread's side: the scheduler. REQUIRES: not started (or shut
  // down): the engine thread owns it otherwise.
  const Scheduler& scheduler_for_testing() const;

 private:
  Engine(const EngineOptions& options, std::unique_ptr<Executor> executor,
         const tokenizer::Tokenizer& tokenizer, base::Clock& clock,
         base::MetricsRegistry* registry);

  const EngineOptions options_;
  const tokenizer::Tokenizer& tokenizer_;
  base::Clock& clock_;
  std::unique_ptr<EngineMetrics> metrics_;
  std::vector<Token> end_of_generation_;  // the vocabulary's end-of-generation tokens
  std::atomic<RequestId> next_id_{1};
  std::unique_ptr<internal::EngineLoop> loop_;
};

}  // namespace tokenfab::engine
