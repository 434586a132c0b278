// ModelExecutor: the Executor (executor.h) that runs the engine's scheduled steps on a real model:
// it owns a ModelRunner for the forward pass, a paged KV cache storage sized for the scheduler's
// block pool, and each sequence's Sampler over the logits (the synthetic_executor.h counterpart
// only models the time a step takes).
// One forward pass per step computes every scheduled token (decode tokens and prefill chunks of
// several sequences together); the sampling of the sequences that want a token is spread over
// the runner's threads.
//
// Ownership: borrows the Model (must outlive it); owns the KV storage and the runner.
// Thread-safety: one Execute() at a time (the engine thread's).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/executor.h"
#include "tokenfab/engine/forward_batch.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/engine/scheduler_config.h"
#include "tokenfab/kernels/cpu_features.h"
#include "tokenfab/kernels/ggml_type.h"
#include "tokenfab/model/model.h"

namespace tokenfab::engine {

struct ModelExecutorOptions {
  int num_threads = 1;                                  // compute threads, >= 1
  kernels::GgmlType kv_type = kernels::GgmlType::kF16;  // kF16 or kF32
  kernels::IsaLevel isa = kernels::DefaultIsaLevel();
  // ModelRunner::SetBatchInvariant: a request's output independent of the batch around it, at
  // the cost of prefill speed (matters for quantised weights; see the engine's greedy tests).
  bool batch_invariant = false;
};

// The KV shape that sizes a scheduler for `config` (KvBytesPerToken, DefaultSchedulerConfig).
KvModelShape KvModelShapeOf(const model::ModelConfig& config, kernels::GgmlType kv_type);

class ModelExecutor final : public Executor {
 public:
  // A KV storage of scheduler.num_kv_blocks blocks of scheduler.block_size tokens and a runner.
  // InvalidArgument for bad options or a config whose context exceeds the model's.
  [[nodiscard]] static StatusOr<std::unique_ptr<ModelExecutor>> Create(
      const model::Model& model, const SchedulerConfig& scheduler,
      const ModelExecutorOptions& options);

  std::string_view name() const override { return "model"; }
  int32_t vocab_size() const override;
  [[nodiscard]] Status Execute(const ScheduledBatch& batch,
                               std::span<const ExecutorSequence> sequences,
                               std::span<ExecutorResult> results) override;

  const model::Model& model() const { return model_; }
  ModelRunner& runner() { return *runner_; }
  const KvCacheStorage& kv_storage() const { return *kv_; }

 private:
  ModelExecutor(const model::Model& model, std::unique_ptr<KvCacheStorage> kv,
                const ModelExecutorOptions& options);

  const model::Model& model_;
  std::unique_ptr<KvCacheStorage> kv_;
  std::unique_ptr<ModelRunner> runner_;
  ForwardBatch forward_;
  std::vector<float> logits_;  // [logit rows, n_vocab]
};

}  // namespace tokenfab::engine
