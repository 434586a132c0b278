// The knobs of the built-in policies, with defaults. Plain data; the gateway's config fills it.
#pragma once

#include <cstddef>

namespace tokenfab::routing {

// Cache affinity (prefix-affinity, kv-aware), after SGLang's cache-aware router.
struct AffinityOptions {
  // Smallest share of the prompt's blocks the best upstream must hold for affinity to count
  // (SGLang's cache_threshold); below it every upstream scores 0, so a prefix shared by all
  // prompts (a common system prompt) does not pull every request to one place.
  double match_threshold = 0.5;
  // Imbalance gate: when the most loaded candidate has more than `balance_abs_threshold` requests
  // (per unit of weight) above the least loaded AND more than `balance_rel_threshold` times as
  // many, affinity yields and the scorer ranks by load (shortest queue).
  double balance_abs_threshold = 32;
  double balance_rel_threshold = 1.5;
};

// prefix-affinity: the gateway's own approximate prefix index per upstream.
struct PrefixAffinityOptions {
  AffinityOptions affinity;
  // (block, upstream) entries the index keeps, least recently routed evicted first; about 100
  // bytes each.
  size_t max_entries = size_t{1} << 18;
};

// kv-aware: the prefix blocks upstreams report cached.
struct KvAwareOptions {
  AffinityOptions affinity;
};

// The SLO test of cost-slo and green-first (and their soft "slo" filter).
struct SloOptions {
  // An upstream meets the SLO when predicted TTFT <= slo_headroom * SLO (below 1 keeps a margin
  // for prediction error).
  double slo_headroom = 0.8;
};

struct PolicyOptions {
  size_t max_ranked = 4;  // upstreams a decision lists: the choice and its failovers, >= 1
  PrefixAffinityOptions prefix_affinity;
  KvAwareOptions kv_aware;
  SloOptions slo;
};

}  // namespace tokenfab::routing
