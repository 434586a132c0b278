// Usage recording: the end of an inference request in the ledger. BuildUsageEvent() turns what
// the request used (tokens as the upstream reported or as counted, latency, energy, carbon and
// price) into its ledger::UsageEvent; RecordUsage() commits it to the ledger's recorder, off the
// I/O loops. Runs in RelayPhase::kRecording (relay_phase.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "gateway_context.h"
#include "request_intake.h"
#include "response_meter.h"
#include "tokenfab/fleet/upstream_state.h"
#include "tokenfab/ledger/usage_event.h"
#include "upstream_runtime.h"

namespace tokenfab::gateway {

// When the request arrived. Plain data.
struct RequestArrival {
  int64_t micros = 0;       // monotonic (Clock::NowMicros)
  int64_t wall_micros = 0;  // µs since the epoch (Clock::WallMicros)
};

// The attempt the request ended with, as its usage event needs it. Borrows the runtime and the
// meter. Plain data.
struct ServedAttempt {
  const UpstreamRuntime* runtime = nullptr;  // null: no upstream was called
  uint32_t upstream_index = 0;               // in the generation's fleet
  fleet::UpstreamState state_at_dispatch;
  int64_t dispatch_micros = 0;           // monotonic, when the attempt started
  const ResponseMeter* meter = nullptr;  // REQUIRES: set when `runtime` is
};

// The usage event of `admitted`, ended with `status` ("ok", "cancelled", "upstream_rejected",
// "error", "aborted") and `http_status`. Tokens: as the upstream reported them, else counted;
// none when it produced nothing. Energy, carbon and price only for a request that used tokens.
// Also adds its tokens and energy to the gateway's metrics, and reports it to the operations
// page's history (context.ops) and the per-tier latency and SLO metrics.
ledger::UsageEvent BuildUsageEvent(GatewayContext& context, const AdmittedRequest& admitted,
                                   const RequestArrival& arrival, const ServedAttempt& attempt,
                                   std::string_view status, int http_status);

// What a stream has delivered to its client. Borrows the text. Plain data.
struct DeliveredContent {
  int64_t events = 0;     // content events
  std::string_view text;  // their text
};

// What a stream's progress record knows of its prompt before the upstream reports usage. Plain
// data.
struct ProgressPrompt {
  int64_t counted = 0;           // the prompt's tokens, counted once by the intake
  int64_t predicted_cached = 0;  // the routing's prediction of the upstream's cached prefix
};

// The prompt and cached tokens a progress record bills. Once the upstream reported usage: its
// prompt tokens, and its cached tokens when trusted with them (as the stream's own event would).
// Before: the counted prompt, of which the predicted cached prefix (at most the prompt) is priced
// as cached on an upstream trusted with cached tokens, since its report is expected to say so.
ReportedUsage ProgressPromptUsage(const std::optional<ReportedUsage>& reported,
                                  bool trust_cached_tokens, const ProgressPrompt& prompt);

// The progress record of a stream still running (ledger/usage_spool.h): its usage event as if it
// were cut after `delivered`, status "interrupted", priced, without energy and without touching
// any metric. Completion tokens: the smaller of the content events and the tokens of their text,
// so never more than the upstream would report for them (each content event carries at least
// one token); prompt and cached tokens by ProgressPromptUsage. Counts no prompt (the caller's
// thread is an I/O loop). REQUIRES: attempt.runtime and attempt.meter set.
ledger::UsageEvent BuildProgressEvent(GatewayContext& context, const AdmittedRequest& admitted,
                                      const RequestArrival& arrival, const ServedAttempt& attempt,
                                      const ProgressPrompt& prompt,
                                      const DeliveredContent& delivered);

// Commits `event` through the context's recorder and calls `then(durable)` once the ledger
// answered (on the recorder's thread, or a control worker). When the recorder's queue is full it
// waits for room on a control worker, never on the caller's thread (an I/O loop). Counts the
// event as recorded or failed. Holds `context` until `then` ran.
void RecordUsage(std::shared_ptr<GatewayContext> context, ledger::UsageEvent event,
                 std::function<void(bool durable)> then);

}  // namespace tokenfab::gateway
