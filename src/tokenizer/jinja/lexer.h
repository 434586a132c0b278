// Lexer: splits Jinja template source into tokens the way Python Jinja2's lexer does with the
// settings Hugging Face renders chat templates with (trim_blocks=True, lstrip_blocks=True,
// keep_trailing_newline=False):
//   - "\r\n" and "\r" become "\n", and one trailing newline of the source is dropped;
//   - `{%- ` / `{{-` / `{#-` strip all whitespace before the tag, `-%}` / `-}}` / `-#}` all
//     whitespace after it;
//   - trim_blocks: the first newline after a block or comment tag is removed (`+%}` keeps it);
//   - lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are
//     removed (`{%+` keeps them);
//   - `{% raw %}...{% endraw %}` is text;
//   - string literals decode Python escapes (\n, \t, \xHH, \uXXXX, \UXXXXXXXX, octal, ...).
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::tokenizer::jinja {

// A position in the template source: 1-based line and column (the column counts code points).
struct SourcePos {
  int line = 1;
  int column = 1;
};

enum class TokenKind {
  kText,           // template data outside tags (value: the text)
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,           // identifier or keyword (value)
  kString,         // string literal (value: decoded)
  kInteger,        // int_value
  kFloat,          // float_value
  kOperator,       // value: "+", "//", "==", "(", ...
  kEnd,            // end of the template
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string value;
  int64_t int_value = 0;
  double float_value = 0;
  SourcePos pos;
};

// Most bytes of template source accepted (real chat templates are under 20 KiB).
inline constexpr size_t kMaxTemplateBytes = 1 << 20;

// Tokenizes `source`. Errors carry "line L, column C: ..." (unterminated tag, comment or string,
// an unexpected character, unbalanced brackets, a bad escape).
[[nodiscard]] StatusOr<std::vector<Token>> Tokenize(std::string_view source);

// "line L, column C: message": the form every template error takes.
std::string FormatPosition(SourcePos pos);

}  // namespace tokenfab::tokenizer::jinja
