// CompletionCall: one /v1/completions or /v1/chat/completions request from submission to the
// last byte: it submits one engine request per choice (prompts x n), takes their events as the
// engine delivers them, and writes them to the client: SSE chunks as they come (streaming) or
// one response at the end. A client that disconnects (or stops reading) cancels every choice,
// which frees their KV blocks at the engine's next step.
//
// Threads: Start() runs on the connection's I/O thread; Drain() runs on the node's stream pool,
// scheduled by the engine's on_events notifier; cancellation callbacks come from the I/O thread.
// The call's own mutex serialises Drain() runs.
//
// Ownership: the node's call registry (NodeContext::Register) holds the call from Start() until it
// has answered; the engine's notifiers and the cancellation subscription hold weak references only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "node/node_context.h"
#include "node/prompt_preparer.h"
#include "tokenfab/api/completion_request.h"
#include "tokenfab/api/completion_response.h"
#include "tokenfab/engine/engine.h"
#include "tokenfab/net/http_exchange.h"

namespace tokenfab::node {

// Scheduling facts from the request's headers (x-tokenfab-tenant, x-tokenfab-priority,
// x-tokenfab-tpot-slo-ms and x-request-id, which a tokenfab gateway sets on its upstream calls).
struct CallContext {
  std::string request_id;   // x-request-id, or the response id
  std::string tenant;       // x-tokenfab-tenant; empty: the shared prefix-cache namespace
  int32_t priority = 0;     // x-tokenfab-priority
  int64_t tpot_slo_us = 0;  // x-tokenfab-tpot-slo-ms (the tier's TPOT objective); 0: the node's
};

class CompletionCall : public std::enable_shared_from_this<CompletionCall> {
 public:
  CompletionCall(NodeContext& node, std::shared_ptr<net::HttpExchange> exchange,
                 api::CompletionRequest request, std::vector<PreparedPrompt> prompts,
                 api::ResponseMeta meta, CallContext context);
  ~CompletionCall();

  // Registers the call, submits its choices and starts the answer. On a refused submission
  // (queue full, bad input) answers the error instead and unregisters.
  void Start(ModelHost& host);

 private:
  struct Choice {
    int32_t index = 0;         // in the response
    int32_t prompt_index = 0;  // which prompt
    engine::RequestHandle handle;
    bool finished = false;
    std::string text;                         // non-streaming: the whole text so far (echo first)
    std::vector<api::LogprobEntry> logprobs;  // not yet written (streaming) or all
    int64_t token_offset = 0;  // bytes of token text so far (completions' text_offset)
    engine::FinishReason finish_reason = engine::FinishReason::kNone;
    Status status;
    engine::EngineUsage usage;
  };

  engine::EngineRequest MakeEngineRequest(const Choice& choice);
  // Submits every choice. Not OK: nothing stays submitted.
  Status SubmitAll(engine::Engine& engine);
  void StartAnswer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleDrain();
  void Drain() ABSL_LOCKS_EXCLUDED(mu_);
  // Takes one choice's ready events into it; streams them when streaming.
  void DrainChoice(Choice& choice, std::vector<engine::EngineEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteChunk(const Choice& choice, std::string_view text, bool first,
                  std::string_view finish_reason, const std::vector<api::LogprobEntry>* logprobs)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteData(std::string_view data) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every choice ended: the closing chunks or the whole response; then unregisters.
  void Complete() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The error the call ended with (a failed or engine-cancelled choice), if any.
  std::optional<api::ApiError> EndError() const;
  api::Usage TotalUsage() const;
  void CancelAll();
  void RespondError(const api::ApiError& error);

  NodeContext& node_;
  const std::shared_ptr<net::HttpExchange> exchange_;
  const api::CompletionRequest request_;
  const std::vector<PreparedPrompt> prompts_;
  const api::StreamChunkFormatter formatter_;
  const CallContext context_;
  const tokenizer::Tokenizer* tokenizer_ = nullptr;
  const std::string_view handler_;  // the route, for metrics (a static string)

  absl::Mutex mu_;
  std::vector<Choice> choices_;  // fixed once Start() submitted them
  uint64_t registry_id_ = 0;
  uint64_t cancel_subscription_ = 0;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;  // the stream could not be written; choices cancelled
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<engine::EngineEvent> events_ ABSL_GUARDED_BY(mu_);  // Drain()'s scratch
};

}  // namespace tokenfab::node
