// ModelHost: what one node serves: the model (or, for `--engine synthetic`, a performance model
// in its place), its tokenizer and chat template, and the running Engine on top.
//
//   real       a GGUF file: weights, tokenizer and chat template from it; the engine computes
//              on a ModelExecutor with `threads` compute threads.
//   synthetic  no weights are computed: a SyntheticExecutor produces text tokens at modelled
//              step times (TTFT/TPOT targets, explicit coefficients, or a calibration of the
//              given model file's real runner). The tokenizer comes from the model file when one
//              is given, else from a named vocabulary (llama3, llama2, qwen3, gpt2). The
//              scheduler, KV block manager and prefix cache are the real ones.
//
// Ownership: owns the model, tokenizer, executor pacer and engine; borrows the clock and the
// metrics registry (both must outlive it). Thread-safe after Load(): the engine's Submit()/Load()
// and the tokenizer and template are safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/engine.h"
#include "tokenfab/engine/performance_model.h"
#include "tokenfab/engine/step_pacer.h"
#include "tokenfab/model/model.h"
#include "tokenfab/tokenizer/chat_template.h"
#include "tokenfab/tokenizer/tokenizer.h"

namespace tokenfab::node {

enum class EngineKind { kModel, kSynthetic };

// "real" (or "model") and "synthetic".
[[nodiscard]] StatusOr<EngineKind> ParseEngineKind(std::string_view name);

struct ModelHostOptions {
  EngineKind engine = EngineKind::kModel;
  std::string model_path;  // GGUF file; required for kModel, optional for kSynthetic
  std::string vocab;       // kSynthetic without a model file: llama3, llama2, qwen3 or gpt2
  // The model id clients name (`model` field, /v1/models); empty: the file's name without
  // ".gguf", or "synthetic-<vocab>".
  std::string served_model_name;
  // "" or "auto": the model's own template. A built-in name (chatml, llama3, llama2, mistral,
  // mistral-v7) or the path of a Jinja file replaces it.
  std::string chat_template;

  int threads = 0;              // compute threads; 0: every hardware thread
  std::string kv_type = "f16";  // KV cache element type: f16 or f32
  int64_t context = 0;          // tokens per sequence; 0: the model's training context
  // KV pool size, when kv_blocks is 0. 0: automatic: enough for 256 sequences of the full
  // context, at most 1 GiB (real engine); 40 GiB of an 8B model's cache, which is never
  // allocated (synthetic engine, like an inference GPU's).
  int64_t kv_memory_bytes = 0;
  int32_t kv_blocks = 0;         // KV pool size in blocks; 0: from kv_memory_bytes
  int32_t block_tokens = 16;     // tokens per KV block (and prefix-cache block)
  int32_t max_running = 0;       // requests computing at once; 0: the scheduler's default
  int32_t max_waiting = 1024;    // requests queued before Submit() refuses (429)
  int32_t max_batch_tokens = 0;  // tokens per step; 0: the scheduler's default
  bool prefix_caching = true;
  uint64_t seed = 0x746f6b656e666162ULL;  // draws the seeds of requests that bring none

  // TPOT-sized prefill (SchedulerConfig::tpot_slo_us): while requests decode, each step's
  // prefill is cut so that the step-time model predicts the step within the tightest TPOT SLO
  // of the decoding requests (their x-tokenfab-tpot-slo-ms, else tpot_slo_ms; 0: none).
  double tpot_slo_ms = 0;
  int32_t min_prefill_tokens = 64;  // prefill tokens per step the SLO never takes away
  // The step-time model the budget uses: coefficients "base=..,prefill=..,decode=..,kv=.."
  // (µs); empty: the synthetic engine's own model, or, for the real engine with tpot_slo_ms > 0,
  // a calibration of its runner at start (a few seconds). Without one (real engine, no SLO)
  // requests' own SLOs do not cut prefill.
  std::string step_model;

  // Synthetic engine: explicit coefficients ("base=..,prefill=..,decode=..,kv=..", µs) win over
  // a calibration, which wins over the TTFT/TPOT targets.
  std::string synthetic_performance;
  bool synthetic_calibrate = false;  // measure the model file's real runner (needs model_path)
  double synthetic_ttft_ms = 50;     // for a prompt of synthetic_prompt_tokens, alone
  int32_t synthetic_prompt_tokens = 512;
  double synthetic_tpot_ms = 20;
  double synthetic_stop_probability = 0;  // per token: a natural end
  // A model used for the synthetic engine's KV sizing when there is no model file (bytes per
  // token of Llama 3 8B in F16, and its context).
  int64_t synthetic_context = 8192;
};

class ModelHost {
 public:
  // Loads the model (or vocabulary), resolves the chat template, sizes the KV pool, builds and
  // starts the engine. Errors name the file or the option at fault. A model without a usable
  // chat template loads; chat requests are then refused with the reason (chat_template_error).
  [[nodiscard]] static StatusOr<std::unique_ptr<ModelHost>> Load(const ModelHostOptions& options,
                                                                 base::Clock& clock,
                                                                 base::MetricsRegistry* registry);

  // Shuts the engine down (ends live requests), then frees everything.
  ~ModelHost();
  ModelHost(const ModelHost&) = delete;
  ModelHost& operator=(const ModelHost&) = delete;

  engine::Engine& engine() { return *engine_; }
  const engine::Engine& engine() const { return *engine_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  // Null when the model has no usable template; chat_template_error() says why.
  const tokenizer::ChatTemplate* chat_template() const {
    return chat_template_ ? &*chat_template_ : nullptr;
  }
  const Status& chat_template_error() const { return chat_template_error_; }
  const std::string& served_model_name() const { return served_model_name_; }
  // Longest sequence (prompt + generated) in tokens.
  int64_t max_model_len() const;
  // One line for logs: engine kind, model, KV pool, limits.
  const std::string& description() const { return description_; }
  // The step-time model the engine runs at, when known: the synthetic engine's (configured,
  // calibrated or from the TTFT/TPOT targets, times its pace), or the real engine's from
  // --step-model or from the calibration a TPOT SLO makes; otherwise none (the measured rates in
  // /load describe it).
  std::optional<engine::PerformanceModel> step_model() const;

  // Synthetic engine: every step lasts `factor` times its modelled time from now on (an operator
  // making the node slow or fast mid-run, as a throttled or shared accelerator would be); the
  // published step model scales with it. InvalidArgument unless 0 < factor <= 1000;
  // FailedPrecondition for the real engine. Thread-safe.
  [[nodiscard]] Status SetPace(double factor);
  double pace() const { return pacer_ ? pacer_->factor() : 1.0; }

 private:
  ModelHost() = default;

  std::unique_ptr<model::Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> own_tokenizer_;  // synthetic without a model file
  const tokenizer::Tokenizer* tokenizer_ = nullptr;
  std::optional<tokenizer::ChatTemplate> chat_template_;
  Status chat_template_error_;
  std::unique_ptr<engine::StepPacer> real_pacer_;
  std::unique_ptr<engine::ScaledStepPacer> pacer_;  // synthetic only
  std::unique_ptr<engine::Engine> engine_;
  std::string served_model_name_;
  std::string description_;
  std::optional<engine::PerformanceModel> step_model_;
};

}  // namespace tokenfab::node
