// TenantFairShare: which tenant's work that can wait goes next, so that tenants within one band
// share capacity by tokens served, not by batches or lines (a tenant's million-line batch does
// not starve another tenant's hundred lines; a tenant of short lines is not starved by one of
// long lines either).
//
// Deficit round robin over tenants, measured in tokens: tenants take turns in name order; at the
// start of its turn a tenant's deficit grows by `quantum` tokens; it sends while its deficit
// covers the estimated tokens of its next item (each send takes the estimate off), then the turn
// passes. A tenant with nothing to send (absent from the heads given) loses its deficit, as in
// DRR. When an item ends, Settle corrects the estimate by the tokens really served, so the share
// is by tokens served.
//
// Thread-compatible (the batch runner's thread owns it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace tokenfab::gateway {

class TenantFairShare {
 public:
  // One tenant's next item. Borrows `tenant` for the call.
  struct Head {
    std::string_view tenant;
    int64_t tokens = 0;  // estimated tokens of the item, > 0 (smaller counts as 1)
  };

  // REQUIRES: quantum_tokens > 0.
  explicit TenantFairShare(int64_t quantum_tokens);

  // Index of the head that goes next and takes its estimate off that tenant's deficit; nullopt
  // when `heads` is empty. A tenant appears at most once in `heads`.
  std::optional<size_t> Next(std::span<const Head> heads);

  // An item of `tenant` sent with estimate `estimated` ended having served `served` tokens:
  // the difference comes off (or back onto) its deficit.
  void Settle(std::string_view tenant, int64_t estimated, int64_t served);

  int64_t deficit(std::string_view tenant) const;

 private:
  const int64_t quantum_;
  absl::flat_hash_map<std::string, int64_t> deficit_;
  std::string current_;        // the tenant whose turn it is ("" before the first)
  bool turn_started_ = false;  // the current tenant's quantum was added
};

// The tokens a batch line is expected to serve, from its JSON body: the prompt estimated from
// its bytes (4 per token) plus max_tokens / max_completion_tokens (else `default_output`) times
// n. At least 1.
int64_t EstimateLineTokens(std::string_view body, int64_t default_output);

// usage.total_tokens of an OpenAI response body; nullopt when it has none.
std::optional<int64_t> ServedTokens(std::string_view response_body);

}  // namespace tokenfab::gateway
