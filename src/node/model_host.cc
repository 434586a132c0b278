#include "tokenfab/node/model_host.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tokenfab/base/logging.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_executor.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/engine/performance_model.h"
#include "tokenfab/engine/synthetic_executor.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::node {
namespace {

int ComputeThreads(const ModelHostOptions& options) {
  return options.threads > 0 ? options.threads : base::ThreadPool::HardwareThreads();
}

kernels::GgmlType KvType(const ModelHostOptions& options) {
  return options.kv_type == "f32" ? kernels::GgmlType::kF32 : kernels::GgmlType::kF16;
}

// Reads a whole text file (a Jinja chat template).
StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read '{}'", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The template for chat requests: a Jinja file when `choice` names one, else as
// ResolveChatTemplate says (the model's own, or a built-in one by name).
StatusOr<tokenizer::ChatTemplate> ChooseChatTemplate(const std::string& model_template,
                                                     const std::string& choice) {
  std::error_code ec;
  if (!choice.empty() && std::filesystem::is_regular_file(choice, ec)) {
    TF_ASSIGN_OR_RETURN(std::string source, ReadFile(choice));
    StatusOr<tokenizer::ChatTemplate> parsed = tokenizer::ChatTemplate::Parse(source);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}", choice, parsed.status().message()));
    }
    return parsed;
  }
  return tokenizer::ResolveChatTemplate(model_template, choice);
}

// The scheduler's limits from the options and the model's KV shape.
// The KV pool's size in bytes (see ModelHostOptions::kv_memory_bytes).
int64_t KvPoolBytes(const ModelHostOptions& options, const engine::KvModelShape& shape) {
  const int64_t token_bytes = engine::KvBytesPerToken(shape);
  if (options.kv_blocks > 0) return int64_t{options.kv_blocks} * options.block_tokens * token_bytes;
  if (options.kv_memory_bytes > 0) return options.kv_memory_bytes;
  if (options.engine == EngineKind::kSynthetic) return int64_t{40} << 30;
  const int64_t context = options.context > 0 ? options.context : shape.n_ctx_train;
  return std::min<int64_t>(int64_t{1} << 30, token_bytes * std::max<int64_t>(context, 1) * 256);
}

StatusOr<engine::SchedulerConfig> SchedulerConfigFor(const ModelHostOptions& options,
                                                     const engine::KvModelShape& shape) {
  if (options.block_tokens < 1) return absl::InvalidArgumentError("--block-tokens must be >= 1");
  const int64_t memory = KvPoolBytes(options, shape);
  TF_ASSIGN_OR_RETURN(engine::SchedulerConfig config,
                      engine::DefaultSchedulerConfig(shape, memory, options.block_tokens));
  const int64_t pool_tokens = int64_t{config.num_kv_blocks} * config.block_size;
  if (options.context > 0) {
    if (shape.n_ctx_train > 0 && options.context > shape.n_ctx_train) {
      return absl::InvalidArgumentError(
          fmt::format("--context {} exceeds the model's training context {}", options.context,
                      shape.n_ctx_train));
    }
    config.max_context_tokens = static_cast<int32_t>(std::min(options.context, pool_tokens));
  }
  if (options.max_running > 0) {
    config.max_running_sequences = options.max_running;
    config.max_batch_tokens = std::max(config.max_batch_tokens, options.max_running);
  }
  if (options.max_batch_tokens > 0) {
    config.max_batch_tokens = std::max(options.max_batch_tokens, config.max_running_sequences);
    config.max_prefill_chunk_tokens = std::min(options.max_batch_tokens, config.max_batch_tokens);
  }
  config.max_prefill_chunk_tokens =
      std::min(config.max_prefill_chunk_tokens, config.max_batch_tokens);
  config.enable_prefix_caching = options.prefix_caching;
  TF_RETURN_IF_ERROR(config.Validate());
  return config;
}

// Measures the model's real runner on a few batch shapes and fits the step-time model.
StatusOr<engine::PerformanceModel> CalibrateRunner(const ModelHostOptions& options,
                                                   const model::Model& model,
                                                   const base::Clock& clock) {
  const engine::KvCacheShape shape = engine::CalibrationKvShape(model.config(), KvType(options));
  engine::KvCacheStorage storage(shape);
  engine::ModelRunner runner(model, storage, ComputeThreads(options));
  TF_ASSIGN_OR_RETURN(engine::CalibrationResult result,
                      engine::CalibratePerformanceModel(runner, shape, clock));
  TF_LOG_INFO("calibrated performance model: {} (max relative error {:.1f}%)",
              result.model.ToString(), result.max_relative_error * 100);
  return result.model;
}

// The synthetic engine's step-time model: explicit coefficients, a calibration of the real
// runner, or the TTFT/TPOT targets.
StatusOr<engine::PerformanceModel> SyntheticPerformance(const ModelHostOptions& options,
                                                        const model::Model* model,
                                                        const base::Clock& clock) {
  if (!options.synthetic_performance.empty()) {
    return engine::PerformanceModel::Parse(options.synthetic_performance);
  }
  if (options.synthetic_calibrate) {
    return CalibrateRunner(options, *model, clock);  // CheckFlags made sure of --model
  }
  return engine::PerformanceModel::FromLatencies(
      options.synthetic_ttft_ms, options.synthetic_prompt_tokens, options.synthetic_tpot_ms);
}

// --step-model's coefficients, its errors named after the flag.
StatusOr<engine::PerformanceModel> ParseStepModelFlag(const std::string& text) {
  StatusOr<engine::PerformanceModel> parsed = engine::PerformanceModel::Parse(text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(fmt::format("--step-model: {}", parsed.status().message()));
  }
  return parsed;
}

// The checks that need no model: run before loading one, so a mistyped flag is reported at once
// rather than after reading a model file of many gigabytes.
Status CheckFlags(const ModelHostOptions& options) {
  if (options.kv_type != "f16" && options.kv_type != "f32") {
    return absl::InvalidArgumentError(
        fmt::format("--kv-type '{}': use f16 or f32", options.kv_type));
  }
  if (!(options.tpot_slo_ms >= 0) || options.tpot_slo_ms > 3.6e6) {
    return absl::InvalidArgumentError(
        fmt::format("--tpot-slo-ms {} is not in [0, 3600000]", options.tpot_slo_ms));
  }
  if (options.min_prefill_tokens < 0) {
    return absl::InvalidArgumentError(
        fmt::format("--min-prefill-tokens {} < 0", options.min_prefill_tokens));
  }
  if (!options.step_model.empty()) {
    TF_RETURN_IF_ERROR(ParseStepModelFlag(options.step_model).status());
  }
  if (options.engine == EngineKind::kSynthetic) {
    if (!options.synthetic_performance.empty()) {
      TF_RETURN_IF_ERROR(engine::PerformanceModel::Parse(options.synthetic_performance).status());
    } else if (options.synthetic_calibrate && options.model_path.empty()) {
      return absl::InvalidArgumentError("calibrating the synthetic engine needs --model");
    }
  }
  return absl::OkStatus();
}

// Sets the scheduler's TPOT SLO and the step-time model its prefill budget uses (see
// ModelHostOptions::step_model); `synthetic` is the synthetic engine's model, else null.
Status ApplyTpotBudget(const ModelHostOptions& options, const engine::PerformanceModel* synthetic,
                       const model::Model* model, const base::Clock& clock,
                       engine::SchedulerConfig* config) {
  config->tpot_slo_us = std::llround(options.tpot_slo_ms * 1000);
  config->min_prefill_tokens = options.min_prefill_tokens;
  if (!options.step_model.empty()) {
    TF_ASSIGN_OR_RETURN(config->step_model, ParseStepModelFlag(options.step_model));
  } else if (synthetic != nullptr) {
    config->step_model = *synthetic;
  } else if (config->tpot_slo_us > 0 && model != nullptr) {
    TF_ASSIGN_OR_RETURN(config->step_model, CalibrateRunner(options, *model, clock));
  }
  return config->Validate();
}

std::string DefaultServedName(const ModelHostOptions& options) {
  if (!options.served_model_name.empty()) return options.served_model_name;
  if (!options.model_path.empty()) {
    std::string stem = std::filesystem::path(options.model_path).filename().string();
    if (stem.size() > 5 && stem.ends_with(".gguf")) stem.resize(stem.size() - 5);
    return stem;
  }
  return "synthetic-" + options.vocab;
}

}  // namespace

StatusOr<EngineKind> ParseEngineKind(std::string_view name) {
  if (name == "real" || name == "model") return EngineKind::kModel;
  if (name == "synthetic") return EngineKind::kSynthetic;
  return absl::InvalidArgumentError(
      fmt::format("unknown engine '{}' (expected real or synthetic)", name));
}

StatusOr<std::unique_ptr<ModelHost>> ModelHost::Load(const ModelHostOptions& options,
                                                     base::Clock& clock,
                                                     base::MetricsRegistry* registry) {
  TF_RETURN_IF_ERROR(CheckFlags(options));
  std::unique_ptr<ModelHost> host(new ModelHost());
  const bool synthetic = options.engine == EngineKind::kSynthetic;
  if (!options.model_path.empty()) {
    TF_ASSIGN_OR_RETURN(host->model_, model::Model::Load(options.model_path));
    host->tokenizer_ = &host->model_->tokenizer();
  } else if (synthetic && !options.vocab.empty()) {
    TF_ASSIGN_OR_RETURN(std::string path, tokenizer::FindVocabFile(options.vocab));
    TF_ASSIGN_OR_RETURN(tokenizer::Vocab vocab, tokenizer::LoadVocabJson(path));
    TF_ASSIGN_OR_RETURN(host->own_tokenizer_, tokenizer::Tokenizer::Create(std::move(vocab)));
    host->tokenizer_ = host->own_tokenizer_.get();
  } else {
    return absl::InvalidArgumentError(
        synthetic ? "the synthetic engine needs --model FILE or --vocab NAME for its tokens"
                  : "the real engine needs --model FILE");
  }
  host->served_model_name_ = DefaultServedName(options);

  StatusOr<tokenizer::ChatTemplate> chat_template =
      ChooseChatTemplate(host->tokenizer_->vocab().chat_template, options.chat_template);
  if (chat_template.ok()) {
    host->chat_template_ = *std::move(chat_template);
  } else if (!options.chat_template.empty() && options.chat_template != "auto") {
    return chat_template.status();  // the user's explicit choice must work
  } else {
    host->chat_template_error_ = chat_template.status();
    TF_LOG_WARN("chat requests will be refused: {}", chat_template.status().message());
  }

  engine::KvModelShape shape;
  if (host->model_ != nullptr) {
    shape = engine::KvModelShapeOf(host->model_->config(), KvType(options));
  } else {
    shape = engine::KvModelShape{32, 8, 128, static_cast<int32_t>(options.synthetic_context), 2};
  }
  engine::EngineOptions engine_options;
  TF_ASSIGN_OR_RETURN(engine_options.scheduler, SchedulerConfigFor(options, shape));
  engine_options.max_waiting_requests = options.max_waiting;
  engine_options.seed = options.seed;
  engine_options.metric_labels = {{"model_name", host->served_model_name_}};

  engine::SyntheticExecutorOptions synthetic_options;
  if (synthetic) {
    TF_ASSIGN_OR_RETURN(synthetic_options.performance,
                        SyntheticPerformance(options, host->model_.get(), clock));
    TF_RETURN_IF_ERROR(synthetic_options.performance.Validate());
  }
  TF_RETURN_IF_ERROR(ApplyTpotBudget(options, synthetic ? &synthetic_options.performance : nullptr,
                                     host->model_.get(), clock, &engine_options.scheduler));
  // /load publishes the step-time model whenever the node has one: the synthetic engine's own, or
  // the real engine's from --step-model or the calibration its TPOT SLO made.
  if (synthetic) {
    host->step_model_ = synthetic_options.performance;
  } else if (!options.step_model.empty() || engine_options.scheduler.tpot_slo_us > 0) {
    host->step_model_ = engine_options.scheduler.step_model;
  }
  std::unique_ptr<engine::Executor> executor;
  if (synthetic) {
    synthetic_options.stop_probability = options.synthetic_stop_probability;
    host->real_pacer_ = std::make_unique<engine::RealStepPacer>(clock);
    host->pacer_ = std::make_unique<engine::ScaledStepPacer>(*host->real_pacer_);
    executor = std::make_unique<engine::SyntheticExecutor>(synthetic_options, *host->tokenizer_,
                                                           *host->pacer_);
  } else {
    engine::ModelExecutorOptions executor_options;
    executor_options.num_threads = ComputeThreads(options);
    executor_options.kv_type = KvType(options);
    TF_ASSIGN_OR_RETURN(executor, engine::ModelExecutor::Create(
                                      *host->model_, engine_options.scheduler, executor_options));
  }
  TF_ASSIGN_OR_RETURN(host->engine_, engine::Engine::Create(engine_options, std::move(executor),
                                                            *host->tokenizer_, clock, registry));
  host->engine_->Start();

  const engine::SchedulerConfig& s = engine_options.scheduler;
  host->description_ = fmt::format(
      "engine {}, model '{}', KV {} blocks of {} tokens ({:.0f} MiB), context {}, "
      "max running {}, max waiting {}, {} tokens per step",
      synthetic ? "synthetic" : "real", host->served_model_name_, s.num_kv_blocks, s.block_size,
      static_cast<double>(engine::KvBytesPerToken(shape)) * s.num_kv_blocks * s.block_size /
          (1 << 20),
      s.max_context_tokens, s.max_running_sequences, options.max_waiting, s.max_batch_tokens);
  if (s.tpot_slo_us > 0) {
    host->description_ += fmt::format(", prefill sized for a TPOT of {} ms by step model {}",
                                      s.tpot_slo_us / 1000.0, s.step_model.ToString());
  }
  return host;
}

ModelHost::~ModelHost() {
  if (engine_ != nullptr) engine_->Shutdown();
}

int64_t ModelHost::max_model_len() const { return engine_->options().scheduler.max_context_tokens; }

std::optional<engine::PerformanceModel> ModelHost::step_model() const {
  if (!step_model_ || !pacer_) return step_model_;
  const double f = pacer_->factor();
  engine::PerformanceModel m = *step_model_;
  m.base_us *= f;
  m.per_prefill_token_us *= f;
  m.per_decode_sequence_us *= f;
  m.per_kv_token_us *= f;
  return m;
}

Status ModelHost::SetPace(double factor) {
  if (!pacer_) {
    return absl::FailedPreconditionError("only the synthetic engine's pace can be set");
  }
  if (!std::isfinite(factor) || !(factor > 0) || factor > 1000) {
    return absl::InvalidArgumentError(fmt::format("pace factor {} is not in (0, 1000]", factor));
  }
  pacer_->set_factor(factor);
  return absl::OkStatus();
}

}  // namespace tokenfab::node
