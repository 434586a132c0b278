// The knobs of the built-in policies, with defaults. Plain data; the gateway's config fills it.
#pragma once

#include <cstddef>

namespace tokenfab::routing {

// prefix-affinity: an approximate prefix index per upstream with an imbalance gate, after
// SGLang's cache-aware router.
struct PrefixAffinityOptions {
  // Smallest share of the prompt's blocks an upstream must have seen for affinity to count
  // (SGLang's cache_threshold).
  double match_threshold = 0.5;
  // Imbalance gate: when the most loaded candidate has more than `balance_abs_threshold` requests
  // (per unit of weight) above the least loaded AND more than `balance_rel_threshold` times as
  // many, affinity yields and the scorer ranks by load (shortest queue).
  double balance_abs_threshold = 32;
  double balance_rel_threshold = 1.5;
  // (block, upstream) entries the index keeps; beyond, the least recently routed quarter goes.
  // About 48 bytes each.
  size_t max_entries = size_t{1} << 20;
};

// cost-slo: cheapest energy per token among the upstreams whose predicted TTFT meets the SLO.
struct CostSloOptions {
  // An upstream meets the SLO when predicted TTFT <= slo_headroom * SLO (below 1 keeps a margin
  // for prediction error).
  double slo_headroom = 0.8;
};

struct PolicyOptions {
  size_t max_ranked = 4;  // upstreams a decision lists: the choice and its failovers, >= 1
  PrefixAffinityOptions prefix_affinity;
  CostSloOptions cost_slo;
};

}  // namespace tokenfab::routing
