#include "tokenizer/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

#include "tokenfab/base/check.h"
#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::tokenizer {
namespace {

constexpr size_t kMaxChunk = size_t{1} << 30;  // bytes handed to ICU at once

const icu::Normalizer2& Nfc() {
  static const icu::Normalizer2* const nfc = [] {
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2* instance = icu::Normalizer2::getNFCInstance(error);
    TF_CHECK(U_SUCCESS(error) && instance != nullptr)
        << "ICU has no NFC data: " << u_errorName(error);
    return instance;
  }();
  return *nfc;
}

// Calls run(segment, well_formed) for the maximal well-formed runs of `text` and the single
// ill-formed bytes between them, in order.
template <typename F>
void ForEachSegment(std::string_view text, F&& run) {
  size_t start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const Utf8Char c = DecodeUtf8(text, pos);
    if (c.codepoint != kInvalidCodepoint) {
      pos += c.length;
      continue;
    }
    if (pos > start && !run(text.substr(start, pos - start), true)) return;
    if (!run(text.substr(pos, 1), false)) return;
    start = ++pos;
  }
  if (pos > start) run(text.substr(start, pos - start), true);
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<uint8_t>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

bool IsNfc(std::string_view text) {
  if (IsAscii(text)) return true;
  bool normalized = true;
  ForEachSegment(text, [&](std::string_view segment, bool well_formed) {
    if (!well_formed) return true;
    if (segment.size() > kMaxChunk) return normalized = false;
    UErrorCode error = U_ZERO_ERROR;
    normalized = Nfc().isNormalizedUTF8(
        icu::StringPiece(segment.data(), static_cast<int32_t>(segment.size())), error);
    TF_CHECK(U_SUCCESS(error)) << "NFC check failed: " << u_errorName(error);
    return normalized;
  });
  return normalized;
}

void AppendNfc(std::string_view text, std::string* out) {
  if (IsNfc(text)) {
    out->append(text);
    return;
  }
  ForEachSegment(text, [&](std::string_view segment, bool well_formed) {
    if (!well_formed) {
      out->append(segment);
      return true;
    }
    // ICU takes int32_t lengths: cut huge runs where normalisation cannot cross the cut.
    while (!segment.empty()) {
      size_t cut = segment.size();
      if (cut > kMaxChunk) {
        cut = kMaxChunk;
        while (cut < segment.size()) {
          const Utf8Char c = DecodeUtf8(segment, cut);
          if ((static_cast<uint8_t>(segment[cut]) & 0xC0) != 0x80 &&
              Nfc().hasBoundaryBefore(static_cast<UChar32>(c.codepoint))) {
            break;
          }
          ++cut;
        }
      }
      icu::StringByteSink<std::string> sink(out);
      UErrorCode error = U_ZERO_ERROR;
      Nfc().normalizeUTF8(0, icu::StringPiece(segment.data(), static_cast<int32_t>(cut)), sink,
                          nullptr, error);
      TF_CHECK(U_SUCCESS(error)) << "NFC normalisation failed: " << u_errorName(error);
      segment.remove_prefix(cut);
    }
    return true;
  });
}

}  // namespace tokenfab::tokenizer
