// What a request would see at one upstream: time to first token and time per output token,
// predicted from the network path, the upstream's queue as tokens and its step-time model.
//
//   TTFT = RTT + expected retransmission delay (the path's jitter and loss)
//        + queue   (prefill tokens ahead x per-token prefill time, plus the steps they take,
//                   each carrying the running decodes: their interference)
//        + prefill (the request's own uncached prompt, the same way)
//   TPOT = one decode step with the request added to the sequences that will be decoding
//          (those decoding now, those queued ahead of it, and itself) over their K/V positions
//        + prefill interference: steps that carry other requests' prefill chunks are long (up
//          to the engine's step budget or the TPOT objective's), and a stream pays for every
//          one of them. Learned by the gateway (the observed TPOT of finished requests less
//          their predicted decode step, the median of the recent ones:
//          UpstreamState::tpot_interference_ms); until then, the part of the upstream's
//          measured TPOT (the mean step time its streams saw lately) beyond a decode-only step
//          of the batch decoding now, counted only while something decodes.
//
// The step-time model is what the upstream publishes (tokenfab nodes) or what the gateway learned
// (StepModelLearner, for vLLM, SGLang, llama.cpp and other OpenAI-compatible servers). Without
// one, the prediction falls back to the measured rates (EstimateRequest's figures).
//
// Pure: no I/O, no clock; the gateway, the twin and the policies call the same function.
#pragma once

#include <cstdint>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/routing_request.h"

namespace tokenfab::routing {

// Plain data.
struct PredictorOptions {
  // Tokens one engine step prefills at most (the engine's token budget): prefill work of N
  // tokens takes ceil(N / chunk) steps.
  int32_t prefill_chunk_tokens = 2048;
  double min_rto_ms = 200;     // TCP's minimum retransmission timeout (Linux: 200 ms)
  double mss_bytes = 1448;     // TCP payload per packet
  double bytes_per_token = 4;  // request body bytes per prompt token
};

// Plain data. All times ms.
struct LatencyPrediction {
  double rtt_ms = 0;           // measured transport RTT, else the configured path's
  double retransmit_ms = 0;    // jitter + P(a packet of the exchange is lost) x RTO
  double queue_ms = 0;         // the work ahead of the request
  double prefill_ms = 0;       // its own uncached prompt
  double ttft_ms = 0;          // the sum of the above
  double tpot_ms = 0;          // 0: unknown (no step model and nothing measured)
  double interference_ms = 0;  // the prefill-interference part of tpot_ms
  int32_t cached_tokens = 0;   // leading prompt tokens the upstream reports cached
  bool step_model = false;     // predicted from a step-time model (else from measured rates)
};

LatencyPrediction PredictLatency(const RoutingRequest& request,
                                 const fleet::FleetSnapshot& snapshot, uint32_t upstream,
                                 const PredictorOptions& options = {});

// The expected retransmission delay of one request/first-response exchange over `path` with
// `rtt_ms` (ms): the jitter, plus the chance that one of its packets is lost times the RTO
// (max(min_rto, rtt + 4 jitter)).
double RetransmitDelayMs(const fleet::NetworkPath& path, double rtt_ms, int32_t prompt_tokens,
                         const PredictorOptions& options = {});

// Whether `prediction` meets `slo` with `headroom` (<= 1): predicted <= headroom x SLO. A zero
// SLO term is always met; an unknown TPOT (0) meets any TPOT SLO.
bool PredictedToMeet(const LatencyPrediction& prediction, const SloTarget& slo, double headroom);

}  // namespace tokenfab::routing
