#include "tokenfab/ledger/price_book.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "tokenfab/base/check.h"
#include "tokenfab/ledger/tenant.h"

namespace tokenfab::ledger {

Status ValidatePriceEntry(const PriceEntry& entry) {
  if (entry.model != kAnyModel) TF_RETURN_IF_ERROR(ValidateName("model", entry.model));
  if (entry.region != kAnyRegion) TF_RETURN_IF_ERROR(ValidateName("region", entry.region));
  if (entry.input_per_million < 0 || entry.cached_input_per_million < 0 ||
      entry.output_per_million < 0) {
    return absl::InvalidArgumentError("prices must not be negative");
  }
  for (int64_t percent : {entry.flex_percent, entry.batch_percent, entry.priority_percent}) {
    if (percent < 0 || percent > 10'000) {
      return absl::InvalidArgumentError("tier percentages must be within 0..10000");
    }
  }
  if (entry.currency.size() != 3 ||
      !std::all_of(entry.currency.begin(), entry.currency.end(),
                   [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return absl::InvalidArgumentError(
        fmt::format("currency '{}' is not a three-letter ISO 4217 code", entry.currency));
  }
  return absl::OkStatus();
}

Micros PriceTokens(const PriceEntry& entry, int64_t prompt_tokens, int64_t cached_tokens,
                   int64_t completion_tokens) {
  return PriceTokens(entry, ServiceTier::kDefault, prompt_tokens, cached_tokens, completion_tokens);
}

int64_t TierPercent(const PriceEntry& entry, ServiceTier tier) {
  switch (tier) {
    case ServiceTier::kDefault:
      return 100;
    case ServiceTier::kFlex:
      return entry.flex_percent;
    case ServiceTier::kBatch:
      return entry.batch_percent;
    case ServiceTier::kPriority:
      return entry.priority_percent;
  }
  return 100;
}

Micros PriceTokens(const PriceEntry& entry, ServiceTier tier, int64_t prompt_tokens,
                   int64_t cached_tokens, int64_t completion_tokens) {
  TF_CHECK(cached_tokens >= 0 && cached_tokens <= prompt_tokens && completion_tokens >= 0)
      << "token counts " << prompt_tokens << "/" << cached_tokens << "/" << completion_tokens;
  using i128 = __int128;
  const i128 scaled = i128(prompt_tokens - cached_tokens) * entry.input_per_million +
                      i128(cached_tokens) * entry.cached_input_per_million +
                      i128(completion_tokens) * entry.output_per_million;
  // Scaled by the tier's percentage, then rounded half up once (amounts are never negative).
  const i128 percent = TierPercent(entry, tier);
  return static_cast<Micros>((scaled * percent + 50'000'000) / 100'000'000);
}

PriceBook::PriceBook(std::vector<PriceEntry> entries) : entries_(std::move(entries)) {
  std::sort(entries_.begin(), entries_.end(), [](const PriceEntry& a, const PriceEntry& b) {
    return std::tie(a.model, a.region, a.effective_from_micros) <
           std::tie(b.model, b.region, b.effective_from_micros);
  });
}

const PriceEntry* PriceBook::Find(std::string_view model, std::string_view region,
                                  int64_t wall_micros) const {
  const PriceEntry* best = nullptr;
  for (const PriceEntry& entry : entries_) {
    if (entry.model == model && entry.region == region &&
        entry.effective_from_micros <= wall_micros) {
      best = &entry;  // sorted by effective_from: the last one that started wins
    }
  }
  return best;
}

StatusOr<PriceEntry> PriceBook::Lookup(std::string_view model, std::string_view region,
                                       int64_t wall_micros) const {
  const std::pair<std::string_view, std::string_view> candidates[] = {
      {model, region}, {model, kAnyRegion}, {kAnyModel, region}, {kAnyModel, kAnyRegion}};
  for (const auto& [m, r] : candidates) {
    if (const PriceEntry* entry = Find(m, r, wall_micros)) return *entry;
  }
  return absl::NotFoundError(
      fmt::format("no price for model '{}' in region '{}' at that time", model, region));
}

StatusOr<Cost> PriceBook::Quote(std::string_view model, std::string_view region,
                                int64_t wall_micros, int64_t prompt_tokens, int64_t cached_tokens,
                                int64_t completion_tokens, ServiceTier tier) const {
  if (cached_tokens < 0 || cached_tokens > prompt_tokens || completion_tokens < 0) {
    return absl::InvalidArgumentError(
        fmt::format("impossible token counts: prompt {}, cached {}, completion {}", prompt_tokens,
                    cached_tokens, completion_tokens));
  }
  TF_ASSIGN_OR_RETURN(PriceEntry entry, Lookup(model, region, wall_micros));
  return Cost{PriceTokens(entry, tier, prompt_tokens, cached_tokens, completion_tokens),
              entry.currency};
}

}  // namespace tokenfab::ledger
