// The engine's estimate of how long a request submitted now waits before it starts computing:
// the waiting requests' tokens at the prefill rate, plus, when every running slot is taken, the
// time until the running request with the fewest tokens left is due to end (tokens x TPOT).
// A pure function of the scheduler's requests and the measured rates, so the engine's /load and
// the fleet twin's simulated node report the same figure for the same state.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "tokenfab/engine/request_state.h"
#include "tokenfab/engine/scheduled_request.h"

namespace tokenfab::engine {

// What the estimate needs from the live requests; Add() each one the scheduler holds.
struct QueueDelayInputs {
  int64_t waiting_tokens = 0;  // tokens of the waiting requests (prompt and any generated)
  // The fewest tokens any running request has left to generate; max() when none runs.
  int32_t soonest_end_tokens = std::numeric_limits<int32_t>::max();
  // The queue as tokens, for routers that predict with the step-time model: tokens still to
  // prefill ahead of a new request (the waiting requests' plus the running ones' uncomputed
  // part), sequences decoding, and the K/V positions the running requests hold.
  int64_t prefill_tokens = 0;
  int32_t decode_sequences = 0;
  int64_t kv_tokens = 0;

  void Add(const ScheduledRequest& r) {
    if (IsWaiting(r.state())) {
      waiting_tokens += r.num_tokens();
      prefill_tokens += r.num_tokens();
    } else {
      soonest_end_tokens =
          std::min(soonest_end_tokens, r.max_new_tokens() - r.num_generated_tokens());
      // A decoding request's one uncomputed token is its next decode input, not prefill.
      if (r.state() == RequestState::kDecoding) {
        ++decode_sequences;
      } else {
        prefill_tokens += std::max(0, r.num_tokens() - r.num_computed_tokens());
      }
      kv_tokens += r.num_computed_tokens();
    }
  }
};

// Milliseconds; 0 when nothing waits and a slot is free. A zero prefill rate (nothing measured
// yet) leaves the waiting tokens out.
inline double EstimateQueueDelayMs(const QueueDelayInputs& in, double prefill_tokens_per_s,
                                   double tpot_ms, int32_t running, int32_t max_running) {
  double delay_ms = 0;
  if (prefill_tokens_per_s > 0) {
    delay_ms += 1000.0 * static_cast<double>(in.waiting_tokens) / prefill_tokens_per_s;
  }
  if (running >= max_running && in.soonest_end_tokens != std::numeric_limits<int32_t>::max()) {
    delay_ms += in.soonest_end_tokens * tpot_ms;
  }
  return delay_ms;
}

}  // namespace tokenfab::engine
