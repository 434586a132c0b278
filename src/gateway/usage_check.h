// Usage cross-check: an upstream's reported completion tokens against the gateway's own count of
// the text it streamed, encoded with the model's tokenizer. Encoding generated text again rarely
// gives back exactly the ids that were generated (a stop token is counted but never shown;
// merges can differ where chunks join), so a report is flagged only when it differs from the
// count by more than kUsageSlackTokens plus kUsageSlackRatio of the larger of the two: an
// upstream that bills twice what it streamed, or a fleet file naming the wrong vocabulary for a
// model, is flagged; an honest one is not. Pure; thread-safe.
#pragma once

#include <cstdint>

namespace tokenfab::gateway {

inline constexpr int64_t kUsageSlackTokens = 8;
inline constexpr double kUsageSlackRatio = 0.15;

// True when `reported` completion tokens disagree with the `counted` tokens of the text.
bool ReportedUsageDisagrees(int64_t reported, int64_t counted);

}  // namespace tokenfab::gateway
