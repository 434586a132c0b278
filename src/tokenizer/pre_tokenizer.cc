#include "tokenizer/pre_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "tokenfab/tokenizer/utf8.h"
#include "tokenizer/unicode_class.h"

namespace tokenfab::tokenizer {
namespace {

// The text decoded into characters: code point, class and byte offset of each.
struct Chars {
  std::vector<char32_t> cp;
  std::vector<uint8_t> cls;
  std::vector<size_t> offset;  // one more than characters: offset.back() == text.size()

  explicit Chars(std::string_view text) {
    cp.reserve(text.size());
    cls.reserve(text.size());
    offset.reserve(text.size() + 1);
    size_t pos = 0;
    while (pos < text.size()) {
      const Utf8Char c = DecodeUtf8(text, pos);
      cp.push_back(c.codepoint);
      cls.push_back(ClassifyCodepoint(c.codepoint));
      offset.push_back(pos);
      pos += c.length;
    }
    offset.push_back(pos);
  }
  size_t size() const { return cp.size(); }
};

// Matches one alternative set at a time; each method returns the end (in characters) of the
// piece that starts at `i`.
class Matcher {
 public:
  explicit Matcher(const Chars& chars) : c_(chars), n_(chars.size()) {}

  size_t Gpt2(size_t i) const {
    if (size_t e = Contraction(i, /*fold_case=*/false); e != i) return e;
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`, each with an optional leading space.
    for (uint8_t cls : {kCharLetter, kCharNumber, kCharOther}) {
      if (IsSpace(i) && Is(i + 1, cls)) return RunEnd(i + 1, cls);
      if (Is(i, cls)) return RunEnd(i, cls);
    }
    return WhitespaceRun(i);
  }

  // Llama 3 (max_digits 3) and Qwen 2 (max_digits 1).
  size_t Llama3(size_t i, size_t max_digits) const {
    if (size_t e = Contraction(i, /*fold_case=*/true); e != i) return e;
    // `[^\r\n\p{L}\p{N}]?\p{L}+`
    if (Is(i, kCharLetter)) return RunEnd(i, kCharLetter);
    if (!IsCrLf(i) && !Is(i, kCharNumber) && Is(i + 1, kCharLetter)) {
      return RunEnd(i + 1, kCharLetter);
    }
    // `\p{N}{1,3}` or `\p{N}`
    if (Is(i, kCharNumber)) return RunEnd(i, kCharNumber, i + max_digits);
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    if (IsSpace(i) && Is(i + 1, kCharOther)) return CrLfRunEnd(RunEnd(i + 1, kCharOther));
    if (Is(i, kCharOther)) return CrLfRunEnd(RunEnd(i, kCharOther));
    // `\s*[\r\n]+`: the white space up to and including its last CR or LF.
    const size_t end = RunEnd(i, kCharWhitespace);
    for (size_t k = end; k > i; --k) {
      if (IsCrLf(k - 1)) return k;
    }
    return WhitespaceRun(i);
  }

 private:
  bool Is(size_t i, uint8_t cls) const { return i < n_ && c_.cls[i] == cls; }
  bool IsSpace(size_t i) const { return i < n_ && c_.cp[i] == U' '; }
  bool IsCrLf(size_t i) const { return i < n_ && (c_.cp[i] == U'\r' || c_.cp[i] == U'\n'); }

  // The end of the run of `cls` characters from `i`, stopping at `limit` at the latest.
  size_t RunEnd(size_t i, uint8_t cls, size_t limit = std::numeric_limits<size_t>::max()) const {
    limit = std::min(limit, n_);
    while (i < limit && c_.cls[i] == cls) ++i;
    return i;
  }
  size_t CrLfRunEnd(size_t i) const {
    while (IsCrLf(i)) ++i;
    return i;
  }

  // `'s|'t|'re|'ve|'m|'ll|'d`, case-insensitively for Llama 3 and Qwen 2. Returns `i` when none
  // matches.
  size_t Contraction(size_t i, bool fold_case) const {
    if (i + 1 >= n_ || c_.cp[i] != U'\'') return i;
    auto letter = [&](size_t k) -> char32_t {
      if (k >= n_) return 0;
      char32_t ch = c_.cp[k];
      if (fold_case) {
        if (ch >= U'A' && ch <= U'Z') ch += U'a' - U'A';
        if (ch == U'\u017F') ch = U's';  // LATIN SMALL LETTER LONG S folds to s
      }
      return ch;
    };
    const char32_t a = letter(i + 1);
    if (a == U's' || a == U't' || a == U'm' || a == U'd') return i + 2;
    const char32_t b = letter(i + 2);
    if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) {
      return i + 3;
    }
    return i;
  }

  // `\s+(?!\S)|\s+` at white space `i`: the run, less its last character when something other
  // than white space follows and the run is longer than one.
  size_t WhitespaceRun(size_t i) const {
    const size_t end = RunEnd(i, kCharWhitespace);
    if (end < n_ && end - i >= 2) return end - 1;
    return end;
  }

  const Chars& c_;
  const size_t n_;
};

}  // namespace

StatusOr<PreTokenizer> PreTokenizer::ForName(std::string_view pre) {
  for (std::string_view name : {"gpt-2", "phi-2", "mpt", "olmo"}) {
    if (pre == name) return PreTokenizer(PrePattern::kGpt2, /*nfc=*/false);
  }
  for (std::string_view name :
       {"llama-bpe", "llama3", "llama-v3", "dbrx", "smaug-bpe", "falcon3", "pixtral"}) {
    if (pre == name) return PreTokenizer(PrePattern::kLlama3, /*nfc=*/false);
  }
  for (std::string_view name : {"qwen2", "deepseek-r1-qwen"}) {
    if (pre == name) return PreTokenizer(PrePattern::kQwen2, /*nfc=*/true);
  }
  if (pre == "stablelm2") return PreTokenizer(PrePattern::kQwen2, /*nfc=*/false);
  return absl::UnimplementedError(fmt::format(
      "pre-tokenizer '{}' (tokenizer.ggml.pre) is not supported; supported: gpt-2, llama-bpe, "
      "qwen2 and their aliases",
      pre));
}

void PreTokenizer::Split(std::string_view text, std::vector<std::string_view>* pieces) const {
  if (text.empty()) return;
  const Chars chars(text);
  const Matcher matcher(chars);
  size_t i = 0;
  while (i < chars.size()) {
    size_t end = 0;
    switch (pattern_) {
      case PrePattern::kGpt2:
        end = matcher.Gpt2(i);
        break;
      case PrePattern::kLlama3:
        end = matcher.Llama3(i, 3);
        break;
      case PrePattern::kQwen2:
        end = matcher.Llama3(i, 1);
        break;
    }
    pieces->push_back(text.substr(chars.offset[i], chars.offset[end] - chars.offset[i]));
    i = end;
  }
}

}  // namespace tokenfab::tokenizer
