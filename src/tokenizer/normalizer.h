// Unicode normalisation form C (NFC) for byte strings that may hold ill-formed UTF-8, as the Qwen
// 2/3 tokenizers apply it before pre-tokenization. ICU's Normalizer2 does the work, at ICU's
// Unicode version (Unicode 15.0 for ICU 72): text using characters assigned later may normalise
// differently from a newer implementation. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tokenfab::tokenizer {

// Appends NFC(`text`) to `out`. Each maximal well-formed run of `text` is normalised on its
// own; ill-formed bytes between runs are copied unchanged (so they survive a decode).
void AppendNfc(std::string_view text, std::string* out);

// Whether AppendNfc would copy `text` unchanged (fast for text already in NFC, e.g. ASCII).
bool IsNfc(std::string_view text);

}  // namespace tokenfab::tokenizer
