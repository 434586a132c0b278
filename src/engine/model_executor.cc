#include "tokenfab/engine/model_executor.h"

#include <utility>

#include <fmt/format.h>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {

KvModelShape KvModelShapeOf(const model::ModelConfig& config, kernels::GgmlType kv_type) {
  KvModelShape shape;
  shape.n_layer = static_cast<int32_t>(config.n_layer);
  shape.n_head_kv = static_cast<int32_t>(config.n_head_kv);
  shape.head_dim = static_cast<int32_t>(config.head_dim);
  shape.n_ctx_train = static_cast<int32_t>(config.n_ctx_train);
  shape.bytes_per_element = kv_type == kernels::GgmlType::kF32 ? 4 : 2;
  shape.value_dim = static_cast<int32_t>(config.kv_value_head_dim());
  return shape;
}

StatusOr<std::unique_ptr<ModelExecutor>> ModelExecutor::Create(
    const model::Model& model, const SchedulerConfig& scheduler,
    const ModelExecutorOptions& options) {
  TF_RETURN_IF_ERROR(scheduler.Validate());
  if (options.num_threads < 1) {
    return absl::InvalidArgumentError(
        fmt::format("the executor needs at least one thread, not {}", options.num_threads));
  }
  if (options.kv_type != kernels::GgmlType::kF16 && options.kv_type != kernels::GgmlType::kF32) {
    return absl::InvalidArgumentError("the KV cache holds F16 or F32 only");
  }
  if (!kernels::IsaLevelSupported(options.isa)) {
    return absl::InvalidArgumentError("this CPU does not support the requested kernels");
  }
  const model::ModelConfig& config = model.config();
  if (config.n_ctx_train > 0 && scheduler.max_context_tokens > config.n_ctx_train) {
    return absl::InvalidArgumentError(
        fmt::format("a context of {} tokens exceeds the model's training context of {}",
                    scheduler.max_context_tokens, config.n_ctx_train));
  }
  const KvCacheShape shape = KvCacheShape::ForModel(config, scheduler.block_size,
                                                    scheduler.num_kv_blocks, options.kv_type);
  auto kv = std::make_unique<KvCacheStorage>(shape);
  return std::unique_ptr<ModelExecutor>(new ModelExecutor(model, std::move(kv), options));
}

ModelExecutor::ModelExecutor(const model::Model& model, std::unique_ptr<KvCacheStorage> kv,
                             const ModelExecutorOptions& options)
    : model_(model),
      kv_(std::move(kv)),
      runner_(std::make_unique<ModelRunner>(model, *kv_, options.num_threads, options.isa)) {
  runner_->SetBatchInvariant(options.batch_invariant);
}

int32_t ModelExecutor::vocab_size() const { return static_cast<int32_t>(model_.config().n_vocab); }

Status ModelExecutor::Execute(const ScheduledBatch& batch,
                              std::span<const ExecutorSequence> sequences,
                              std::span<ExecutorResult> results) {
  TF_CHECK(!batch.empty());
  TF_CHECK(sequences.size() == batch.sequences.size() && results.size() == sequences.size());
  forward_.Clear();
  for (const ScheduledSequence& seq : batch.sequences) {
    const int32_t n = static_cast<int32_t>(seq.tokens.size());
    for (int32_t j = 0; j < n; ++j) {
      forward_.Add(seq.tokens[j], seq.position + j, seq.block_table.data(),
                   seq.logits && j == n - 1);
    }
  }
  TF_RETURN_IF_ERROR(runner_->Forward(forward_, logits_));
  const int64_t n_vocab = model_.config().n_vocab;
  int64_t row = 0;
  for (size_t i = 0; i < batch.sequences.size(); ++i) {
    if (!batch.sequences[i].logits) continue;
    const ScheduledRequest& request = *sequences[i].request;
    StatusOr<SampleResult> sample = sequences[i].sampler->Sample(
        std::span<float>(logits_.data() + row * n_vocab, static_cast<size_t>(n_vocab)),
        request.tokens(), request.num_prompt_tokens());
    ++row;
    if (sample.ok()) {
      results[i].sample = *std::move(sample);
    } else {
      results[i].status = sample.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::engine
