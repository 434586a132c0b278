// EngineRequest: what a client of the Engine submits: the prompt as token ids, how to sample and
// when to stop, and the scheduling facts the gateway attached (tenant, priority, deadline hint).
// A plain value; Engine::Submit validates it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::engine {

struct EngineRequest {
  // The client-visible id (the `x-request-id` header), for logs; may be empty. The engine names
  // the request by its own RequestId (RequestHandle::id()).
  std::string request_id;
  // The tenant's name, for logs; and the prefix-cache salt that keeps tenants' cached prefixes
  // apart: TenantSalt(tenant) (block_hash.h), or 0 for the shared namespace.
  std::string tenant;
  uint64_t tenant_salt = 0;

  std::vector<Token> prompt;  // [num_prompt_tokens], at least one, each in the vocabulary
  // Sampling, stop conditions and logprobs (sampling.logprobs / top_logprobs). Without a seed
  // the engine draws one. The model's end-of-generation tokens are added to the stop token ids
  // unless `ignore_eos`.
  SamplingParams sampling;
  bool ignore_eos = false;

  // Larger is more urgent (the tenant's tier; `x-tokenfab-priority`). Equal priorities run in
  // arrival order.
  int32_t priority = 0;
  // Hint: engine-clock time (monotonic µs) by which the client wants the answer; 0 = none.
  int64_t deadline_us = 0;
  // The tier's time-per-output-token objective, µs; 0 = the engine's default. While this
  // request decodes, the engine cuts prefill chunks so that its steps stay within it.
  int64_t tpot_slo_us = 0;

  // Optional. Called on the engine thread whenever events were added to this request's handle
  // while none were waiting to be taken (so at most once per Poll() that emptied it), and once
  // more with the final event. It must not block: it typically posts a task to the connection's
  // I/O loop that calls RequestHandle::Poll() and writes the events out. It may call Poll() and
  // Cancel() itself; it must not call Next()/Wait() nor Engine methods other than these. It can
  // run before Submit() returns.
  std::function<void()> on_events;
};

}  // namespace tokenfab::engine
