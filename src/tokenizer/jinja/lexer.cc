#include "tokenizer/jinja/lexer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "tokenizer/jinja/unicode.h"

namespace tokenfab::tokenizer::jinja {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigitChar(c); }

// "\r\n" and "\r" to "\n"; one trailing newline dropped.
std::string NormalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Python's str.rstrip() (Unicode whitespace).
std::string RStrip(std::string_view s) { return Strip(s, nullptr, StripSide::kRight); }

// True when `s` is non-empty and all (Unicode) whitespace.
bool AllSpace(std::string_view s) {
  if (s.empty()) return false;
  size_t pos = 0;
  while (pos < s.size()) {
    if (!IsPythonSpace(DecodeUtf8(s, &pos))) return false;
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  StatusOr<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      TF_RETURN_IF_ERROR(LexData());
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.pos = PosAt(src_.size());
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  enum class TagKind { kVariable, kBlock, kComment };

  SourcePos PosAt(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - line_starts_.begin());
    const size_t start = line_starts_[line - 1];
    SourcePos pos;
    pos.line = static_cast<int>(line);
    pos.column =
        static_cast<int>(CodePointCount(std::string_view(src_).substr(start, offset - start))) + 1;
    return pos;
  }

  Status Error(size_t offset, std::string_view message) const {
    return absl::InvalidArgumentError(FormatPosition(PosAt(offset)) + std::string(message));
  }

  void Push(TokenKind kind, std::string value, size_t offset) {
    Token token;
    token.kind = kind;
    token.value = std::move(value);
    token.pos = PosAt(offset);
    tokens_.push_back(std::move(token));
  }

  // Finds the next tag opener at or after `from`; returns npos when none.
  size_t FindTag(size_t from) const {
    while (true) {
      size_t brace = src_.find('{', from);
      if (brace == std::string::npos || brace + 1 >= src_.size()) return std::string::npos;
      char next = src_[brace + 1];
      if (next == '{' || next == '%' || next == '#') return brace;
      from = brace + 1;
    }
  }

  // If a `{% raw %}` opener starts at `at`, returns the offset just past it (and whether it ends
  // with `-%}`); otherwise npos.
  size_t MatchRaw(size_t at, bool* strip_after) const {
    size_t i = at + 2;
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
    while (i < src_.size() && IsAsciiSpace(src_[i])) ++i;
    if (src_.compare(i, 3, "raw") != 0) return std::string::npos;
    i += 3;
    if (i < src_.size() && IsNameChar(src_[i])) return std::string::npos;
    while (i < src_.size() && IsAsciiSpace(src_[i])) ++i;
    *strip_after = false;
    if (i < src_.size() && src_[i] == '-') *strip_after = true, ++i;
    if (src_.compare(i, 2, "%}") != 0) return std::string::npos;
    return i + 2;
  }

  // Emits preceding text (with whitespace control applied) and lexes the tag that follows.
  Status LexData() {
    const size_t tag = FindTag(pos_);
    const size_t text_end = tag == std::string::npos ? src_.size() : tag;
    std::string text = src_.substr(pos_, text_end - pos_);
    const size_t text_start = pos_;
    if (tag == std::string::npos) {
      if (!text.empty()) Push(TokenKind::kText, std::move(text), text_start);
      pos_ = src_.size();
      return absl::OkStatus();
    }
    const char opener = src_[tag + 1];
    const TagKind kind =
        opener == '{' ? TagKind::kVariable : (opener == '%' ? TagKind::kBlock : TagKind::kComment);
    const char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
    if (sign == '-') {
      text = RStrip(text);
    } else if (sign != '+' && kind != TagKind::kVariable) {
      // lstrip_blocks: drop the spaces between the start of the line and the tag.
      const size_t nl = text.rfind('\n');
      const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting_) && AllSpace(std::string_view(text).substr(l_pos))) {
        text.resize(l_pos);
      }
    }
    if (!text.empty()) Push(TokenKind::kText, std::move(text), text_start);
    line_starting_ = false;
    pos_ = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);

    if (kind == TagKind::kComment) return LexComment(tag);
    if (kind == TagKind::kBlock) {
      bool strip_after = false;
      size_t raw_end = MatchRaw(tag, &strip_after);
      if (raw_end != std::string::npos) return LexRaw(tag, raw_end, strip_after);
    }
    Push(kind == TagKind::kBlock ? TokenKind::kBlockBegin : TokenKind::kVariableBegin,
         kind == TagKind::kBlock ? "{%" : "{{", tag);
    return LexTag(tag, kind);
  }

  // Skips whitespace after `-%}` style tags, or one newline after a block/comment (trim_blocks).
  void AfterTag(bool strip, bool trim_newline) {
    if (strip) {
      size_t p = pos_;
      while (p < src_.size()) {
        size_t next = p;
        if (!IsPythonSpace(DecodeUtf8(src_, &next))) break;
        p = next;
      }
      line_starting_ = p > pos_ && src_[p - 1] == '\n';
      pos_ = p;
    } else if (trim_newline && pos_ < src_.size() && src_[pos_] == '\n') {
      ++pos_;
      line_starting_ = true;
    }
  }

  Status LexComment(size_t tag) {
    size_t close = src_.find("#}", pos_);
    if (close == std::string::npos) return Error(tag, "missing end of comment tag '#}'");
    const bool strip = close > pos_ && src_[close - 1] == '-';
    const bool keep = close > pos_ && src_[close - 1] == '+';
    pos_ = close + 2;
    AfterTag(strip, /*trim_newline=*/!keep);
    return absl::OkStatus();
  }

  Status LexRaw(size_t tag, size_t body_start, bool strip_after) {
    pos_ = body_start;
    if (strip_after) AfterTag(true, false);
    // Find `{%[-+]? endraw [-]?%}`.
    size_t search = pos_;
    while (true) {
      size_t open = src_.find("{%", search);
      if (open == std::string::npos) return Error(tag, "missing '{% endraw %}' for this raw block");
      size_t i = open + 2;
      char sign = i < src_.size() ? src_[i] : '\0';
      if (sign == '-' || sign == '+') ++i;
      while (i < src_.size() && IsAsciiSpace(src_[i])) ++i;
      if (src_.compare(i, 6, "endraw") != 0 || (i + 6 < src_.size() && IsNameChar(src_[i + 6]))) {
        search = open + 2;
        continue;
      }
      i += 6;
      while (i < src_.size() && IsAsciiSpace(src_[i])) ++i;
      char end_sign = '\0';
      if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) end_sign = src_[i++];
      if (src_.compare(i, 2, "%}") != 0) return Error(open, "expected '%}' after 'endraw'");
      std::string body = src_.substr(pos_, open - pos_);
      if (sign == '-') {
        body = RStrip(body);
      } else if (sign != '+') {
        const size_t nl = body.rfind('\n');
        const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if (l_pos > 0 && AllSpace(std::string_view(body).substr(l_pos))) body.resize(l_pos);
      }
      if (!body.empty()) Push(TokenKind::kText, std::move(body), pos_);
      pos_ = i + 2;
      line_starting_ = false;
      AfterTag(end_sign == '-', end_sign != '+');
      return absl::OkStatus();
    }
  }

  Status LexTag(size_t tag, TagKind kind) {
    std::vector<char> brackets;  // expected closers
    while (true) {
      while (pos_ < src_.size() && IsAsciiSpace(src_[pos_])) ++pos_;
      if (pos_ >= src_.size()) {
        return Error(tag, kind == TagKind::kBlock ? "unexpected end of template: '%}' missing"
                                                  : "unexpected end of template: '}}' missing");
      }
      if (brackets.empty() && TryTagEnd(kind)) return absl::OkStatus();
      const char c = src_[pos_];
      const size_t start = pos_;
      if (IsDigitChar(c)) {
        TF_RETURN_IF_ERROR(LexNumber());
      } else if (IsNameStart(c)) {
        while (pos_ < src_.size() && IsNameChar(src_[pos_])) ++pos_;
        Push(TokenKind::kName, src_.substr(start, pos_ - start), start);
      } else if (c == '\'' || c == '"') {
        TF_RETURN_IF_ERROR(LexString());
      } else {
        TF_RETURN_IF_ERROR(LexOperator(&brackets));
      }
    }
  }

  bool TryTagEnd(TagKind kind) {
    const char* close = kind == TagKind::kBlock ? "%}" : "}}";
    char sign = src_[pos_];
    if ((sign == '-' || (sign == '+' && kind == TagKind::kBlock)) &&
        src_.compare(pos_ + 1, 2, close) == 0) {
      Push(kind == TagKind::kBlock ? TokenKind::kBlockEnd : TokenKind::kVariableEnd, close, pos_);
      pos_ += 3;
      line_starting_ = false;
      AfterTag(sign == '-', false);
      return true;
    }
    if (src_.compare(pos_, 2, close) == 0) {
      Push(kind == TagKind::kBlock ? TokenKind::kBlockEnd : TokenKind::kVariableEnd, close, pos_);
      pos_ += 2;
      line_starting_ = false;
      AfterTag(false, kind == TagKind::kBlock);
      return true;
    }
    return false;
  }

  // Digits with optional '_' separators: [0-9](_?[0-9])*.
  size_t ScanDigits(size_t p, bool (*digit)(char)) const {
    if (p >= src_.size() || !digit(src_[p])) return p;
    ++p;
    while (p < src_.size()) {
      if (digit(src_[p])) {
        ++p;
      } else if (src_[p] == '_' && p + 1 < src_.size() && digit(src_[p + 1])) {
        p += 2;
      } else {
        break;
      }
    }
    return p;
  }

  std::string WithoutUnderscores(size_t from, size_t to) const {
    std::string s = src_.substr(from, to - from);
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    return s;
  }

  // Pushes an integer token for `digits` in `base`.
  Status PushInteger(const std::string& digits, int base, size_t start) {
    errno = 0;
    const unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
    if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX)) {
      return Error(start, "integer literal too large");
    }
    Token token;
    token.kind = TokenKind::kInteger;
    token.int_value = static_cast<int64_t>(v);
    token.pos = PosAt(start);
    tokens_.push_back(std::move(token));
    return absl::OkStatus();
  }

  // 0x / 0o / 0b integers; false (nothing consumed) when the number has no such prefix.
  StatusOr<bool> LexPrefixedInteger() {
    const size_t start = pos_;
    if (src_[start] != '0' || start + 1 >= src_.size()) return false;
    const char p = static_cast<char>(src_[start + 1] | 0x20);
    const int base = p == 'x' ? 16 : (p == 'o' ? 8 : (p == 'b' ? 2 : 0));
    if (base == 0) return false;
    auto is_base_digit = [&](char ch) {
      if (base == 16) return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
      if (base == 8) return ch >= '0' && ch <= '7';
      return ch == '0' || ch == '1';
    };
    size_t i = start + 2;
    while (i < src_.size() && (is_base_digit(src_[i]) || (src_[i] == '_' && i + 1 < src_.size() &&
                                                          is_base_digit(src_[i + 1])))) {
      ++i;
    }
    if (i == start + 2) return false;
    TF_RETURN_IF_ERROR(PushInteger(WithoutUnderscores(start + 2, i), base, start));
    pos_ = i;
    return true;
  }

  Status LexNumber() {
    TF_ASSIGN_OR_RETURN(bool prefixed, LexPrefixedInteger());
    if (prefixed) return absl::OkStatus();
    const size_t start = pos_;
    auto decimal = [](char ch) { return ch >= '0' && ch <= '9'; };
    size_t end = ScanDigits(start, decimal);
    bool is_float = false;
    // Like Jinja, no float right after a '.' (`x.0.1` is two integer subscripts).
    if (start == 0 || src_[start - 1] != '.') {
      size_t p = end;
      if (p + 1 < src_.size() && src_[p] == '.' && IsDigitChar(src_[p + 1])) {
        p = ScanDigits(p + 1, decimal);
        is_float = true;
      }
      if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
        size_t q = p + 1;
        if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
        if (q < src_.size() && IsDigitChar(src_[q])) {
          p = ScanDigits(q, decimal);
          is_float = true;
        }
      }
      if (is_float) end = p;
    }
    const std::string text = WithoutUnderscores(start, end);
    pos_ = end;
    if (!is_float) return PushInteger(text, 10, start);
    Token token;
    token.kind = TokenKind::kFloat;
    token.float_value = std::strtod(text.c_str(), nullptr);
    token.pos = PosAt(start);
    tokens_.push_back(std::move(token));
    return absl::OkStatus();
  }

  // Reads `count` hex digits at `p` into *value.
  bool ReadHex(size_t p, int count, uint32_t* value) const {
    if (p + count > src_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < count; ++i) {
      char ch = src_[p + i];
      int d = IsDigitChar(ch)
                  ? ch - '0'
                  : ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ? (ch | 0x20) - 'a' + 10 : -1);
      if (d < 0) return false;
      v = v * 16 + static_cast<uint32_t>(d);
    }
    *value = v;
    return true;
  }

  Status LexString() {
    const size_t start = pos_;
    const char quote = src_[pos_++];
    std::string value;
    while (true) {
      if (pos_ >= src_.size()) return Error(start, "unterminated string literal");
      const char c = src_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c != '\\') {
        value.push_back(c);
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= src_.size()) return Error(start, "unterminated string literal");
      TF_RETURN_IF_ERROR(LexEscape(&value));
    }
    Push(TokenKind::kString, std::move(value), start);
    return absl::OkStatus();
  }

  // One backslash escape at pos_, decoded as Python's unicode-escape does.
  Status LexEscape(std::string* value) {
    const char e = src_[pos_ + 1];
    const size_t esc = pos_;
    pos_ += 2;
    static constexpr std::string_view kSimple = "\\'\"abfnrtv";
    static constexpr std::string_view kDecoded = "\\'\"\a\b\f\n\r\t\v";
    if (e == '\n') return absl::OkStatus();  // line continuation
    if (size_t k = kSimple.find(e); k != std::string_view::npos) {
      value->push_back(kDecoded[k]);
      return absl::OkStatus();
    }
    if (e == 'x' || e == 'u' || e == 'U') {
      const int count = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
      uint32_t cp = 0;
      if (!ReadHex(pos_, count, &cp)) {
        return Error(esc, fmt::format("truncated \\{} escape in string literal", e));
      }
      if (cp > 0x10FFFF) return Error(esc, "escape outside the Unicode range in string literal");
      pos_ += count;
      AppendUtf8(cp, value);
      return absl::OkStatus();
    }
    if (e == 'N') return Error(esc, "\\N{...} escapes are not supported in string literals");
    if (e >= '0' && e <= '7') {
      uint32_t cp = static_cast<uint32_t>(e - '0');
      for (int i = 0; i < 2 && pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '7'; ++i) {
        cp = cp * 8 + static_cast<uint32_t>(src_[pos_++] - '0');
      }
      AppendUtf8(cp, value);
      return absl::OkStatus();
    }
    // Python keeps unknown escapes as written.
    value->push_back('\\');
    pos_ -= 1;
    return absl::OkStatus();
  }

  Status LexOperator(std::vector<char>* brackets) {
    static constexpr std::array<std::string_view, 6> kTwoChar = {
        "//", "**", "==", "!=", ">=", "<="};
    static constexpr std::string_view kOneChar = "+-*/%~[](){}><=.:|,;";
    const size_t start = pos_;
    for (std::string_view op : kTwoChar) {
      if (src_.compare(pos_, 2, op) == 0) {
        Push(TokenKind::kOperator, std::string(op), start);
        pos_ += 2;
        return absl::OkStatus();
      }
    }
    const char c = src_[pos_];
    if (kOneChar.find(c) == std::string_view::npos) {
      size_t next = pos_;
      std::string shown;
      AppendUtf8(DecodeUtf8(src_, &next), &shown);
      return Error(start, fmt::format("unexpected character '{}'", shown));
    }
    if (c == '(' || c == '[' || c == '{') {
      brackets->push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets->empty()) return Error(start, fmt::format("unexpected '{}'", c));
      if (brackets->back() != c) {
        return Error(start, fmt::format("unexpected '{}', expected '{}'", c, brackets->back()));
      }
      brackets->pop_back();
    }
    Push(TokenKind::kOperator, std::string(1, c), start);
    ++pos_;
    return absl::OkStatus();
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::string FormatPosition(SourcePos pos) {
  return fmt::format("line {}, column {}: ", pos.line, pos.column);
}

StatusOr<std::vector<Token>> Tokenize(std::string_view source) {
  if (source.size() > kMaxTemplateBytes) {
    return absl::InvalidArgumentError(fmt::format("template is {} bytes, more than the {} accepted",
                                                  source.size(), kMaxTemplateBytes));
  }
  Lexer lexer(NormalizeNewlines(source));
  return lexer.Run();
}

}  // namespace tokenfab::tokenizer::jinja
