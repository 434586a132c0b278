// The tokenizer reference corpus: a fixed, seeded mix of text that is hard to tokenize right
// (English, Chinese, Japanese, code, emoji and ZWJ sequences, numbers in many scripts, runs of
// spaces and newlines, byte-order marks and zero-width characters, random code points from every
// plane, recently assigned characters, special-token texts, ill-formed UTF-8, very long lines).
// The same seed gives the same bytes everywhere (base::Random).
//
// File form (JSON Lines), one entry per line: {"category": "...", "text": "..."}, or, when the
// entry is not well-formed UTF-8 (JSON strings cannot hold it), {"category": "...", "hex": "..."}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::tokenizer {

struct CorpusEntry {
  std::string category;
  std::string text;  // bytes; may be ill-formed UTF-8
};

inline constexpr uint64_t kCorpusSeed = 20240607;
inline constexpr size_t kCorpusLines = 12000;

// Builds `lines` entries from `seed`.
std::vector<CorpusEntry> BuildCorpus(uint64_t seed = kCorpusSeed, size_t lines = kCorpusLines);

// Whether `text` is well-formed UTF-8 (written as "text"; otherwise as "hex"). Kept apart from
// the tokenizer's own UTF-8 code on purpose.
bool WellFormedUtf8(std::string_view text);

[[nodiscard]] Status WriteCorpus(const std::vector<CorpusEntry>& corpus, const std::string& path);
[[nodiscard]] StatusOr<std::vector<CorpusEntry>> ReadCorpus(const std::string& path);

}  // namespace tokenfab::tokenizer
