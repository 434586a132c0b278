// Scorer: one weighted term of a policy. Each registered policy name (round-robin, least-load,
// prefix-affinity, cost-slo, ...) contributes one scorer; a composed policy ranks upstreams by the
// weighted mean of its scorers' scores.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/rank_context.h"
#include "tokenfab/routing/routing_request.h"

namespace tokenfab::routing {

// What a policy needs the caller to compute about a request's prompt before ranking it. Prefix
// hashes cost the gateway work (block hashes: tokenizing the prompt), so it computes only what the
// policy says it reads. A composed policy needs what any of its parts needs.
struct PolicyInputs {
  // RoutingRequest::block_hashes, from token ids: the gateway tokenizes a text prompt for them.
  bool block_hashes = false;
  // Some prefix hash: block_hashes when there are any, else text_chunk_hashes.
  bool prefix_hashes = false;

  PolicyInputs& operator|=(const PolicyInputs& other) {
    block_hashes = block_hashes || other.block_hashes;
    prefix_hashes = prefix_hashes || other.prefix_hashes;
    return *this;
  }
  bool operator==(const PolicyInputs&) const = default;
};

// Scores depend only on the arguments and the scorer's own state (a rotation counter, a seeded
// random stream, a prefix index). No I/O, no clock: time comes in the snapshot.
// Thread-safe: Score, Explain and OnRouted may be called concurrently; a scorer with state
// synchronizes it.
class Scorer {
 public:
  virtual ~Scorer() = default;

  // The registered name: "least-load".
  virtual std::string_view name() const = 0;

  // What it reads of the request beyond the plain fields (default: nothing more).
  virtual PolicyInputs inputs() const { return {}; }

  // Writes scores[i] in [0, 1] for candidates[i]; higher is better.
  // REQUIRES: scores.size() == candidates.size() > 0.
  virtual void Score(RankContext& context, std::span<const Candidate> candidates,
                     std::span<double> scores) = 0;

  // A few words on `upstream`'s score among `candidates` (what Score saw) for the decision's
  // reason: "ttft 41 ms, 0.02 CNY/Mtok". Called for the choice only.
  virtual std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                              uint32_t upstream) const {
    return "";
  }

  // The request was sent to `upstream`: learn from it (prefix-affinity indexes its prefix).
  virtual void OnRouted(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot,
                        uint32_t upstream) {}
};

}  // namespace tokenfab::routing
