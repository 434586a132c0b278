// Price books: what a model costs in a region, per million tokens, and the arithmetic that turns
// a request's token counts into an amount of money.
//
// An entry applies from its effective_from time until a later entry for the same (model, region)
// takes over, so a price change never rewrites the cost of past requests. Lookup falls back from
// (model, region) to (model, "*"), ("*", region) and ("*", "*").
// PriceBook is an immutable snapshot once built; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/money.h"
#include "tokenfab/ledger/service_tier.h"

namespace tokenfab::ledger {

inline constexpr std::string_view kAnyModel = "*";
inline constexpr std::string_view kAnyRegion = "*";

struct PriceEntry {
  std::string model;   // or "*"
  std::string region;  // or "*"
  Micros input_per_million = 0;         // uncached prompt tokens, micro-units per 1e6 tokens
  Micros cached_input_per_million = 0;  // prompt tokens served from the prefix cache
  Micros output_per_million = 0;        // completion tokens
  std::string currency = "USD";         // ISO 4217 code
  int64_t effective_from_micros = 0;    // wall clock, µs since the epoch
  // The other service tiers' prices, as percentages of the three prices above (the default
  // tier's): OpenAI sells flex and batch at half price and priority processing dearer.
  int64_t flex_percent = 50;
  int64_t batch_percent = 50;
  int64_t priority_percent = 200;

  bool operator==(const PriceEntry&) const = default;
};

[[nodiscard]] Status ValidatePriceEntry(const PriceEntry& entry);

struct Cost {
  Micros amount = 0;
  std::string currency;
};

// The cost of one request:
//   (prompt - cached) * input + cached * cached_input + completion * output, over 1e6,
// computed exactly in 128-bit integers and rounded half up to a micro-unit once per request.
// (The rounding error is under half a micro-unit per request; the invoice is the exact sum of
// the stored per-request amounts.) REQUIRES: 0 <= cached <= prompt, completion >= 0.
Micros PriceTokens(const PriceEntry& entry, int64_t prompt_tokens, int64_t cached_tokens,
                   int64_t completion_tokens);
// The same at `tier`'s price: the default tier's amount scaled by the tier's percentage before the
// one rounding (so a flex request at 50 % costs half the unrounded default amount, rounded once).
Micros PriceTokens(const PriceEntry& entry, ServiceTier tier, int64_t prompt_tokens,
                   int64_t cached_tokens, int64_t completion_tokens);
// The entry's percentage for `tier` (100 for the default tier).
int64_t TierPercent(const PriceEntry& entry, ServiceTier tier);

class PriceBook {
 public:
  PriceBook() = default;
  explicit PriceBook(std::vector<PriceEntry> entries);

  // The entry in force for (model, region) at `wall_micros`, with the fallbacks above.
  // NotFound when no entry applies.
  [[nodiscard]] StatusOr<PriceEntry> Lookup(std::string_view model, std::string_view region,
                                            int64_t wall_micros) const;

  // Lookup + PriceTokens at `tier`. InvalidArgument for impossible token counts.
  [[nodiscard]] StatusOr<Cost> Quote(std::string_view model, std::string_view region,
                                     int64_t wall_micros, int64_t prompt_tokens,
                                     int64_t cached_tokens, int64_t completion_tokens,
                                     ServiceTier tier = ServiceTier::kDefault) const;

  const std::vector<PriceEntry>& entries() const { return entries_; }

 private:
  const PriceEntry* Find(std::string_view model, std::string_view region,
                         int64_t wall_micros) const;

  std::vector<PriceEntry> entries_;  // sorted by (model, region, effective_from)
};

}  // namespace tokenfab::ledger
