// Lexing and parsing: whitespace control as Hugging Face renders (trim_blocks, lstrip_blocks),
// literals, operator precedence, and syntax errors with positions. Expected outputs are what
// Python Jinja2 renders for the same source.
#include "tokenizer/jinja/lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenizer/jinja/parser.h"
#include "tokenizer/jinja/test_util.h"

namespace tokenfab::tokenizer::jinja {
namespace {

using ::testing::HasSubstr;
using testing::Render;

TEST(JinjaWhitespaceTest, TrailingNewlineAndLineEndings) {
  EXPECT_EQ(Render("a\n"), "a");
  EXPECT_EQ(Render("a\n\n"), "a\n");
  EXPECT_EQ(Render("a\r\nb\rc"), "a\nb\nc");
}

TEST(JinjaWhitespaceTest, TrimBlocksRemovesTheNewlineAfterABlockTag) {
  EXPECT_EQ(Render("{% if true %}\nyes\n{% endif %}\n"), "yes\n");
  EXPECT_EQ(Render("{% for i in [1,2] %}\n  {{- i }}\n{% endfor %}"), "1\n2\n");
  EXPECT_EQ(Render("{% if true +%}\nx{% endif %}"), "\nx");  // '+%}' keeps it
  EXPECT_EQ(Render("{# c #}\nb"), "b");                      // comments too
}

TEST(JinjaWhitespaceTest, LstripBlocksRemovesIndentBeforeBlockTagsOnly) {
  EXPECT_EQ(Render("  {% if true %}x{% endif %}"), "x");
  EXPECT_EQ(Render("a {% if true %}x{% endif %}"), "a x");   // text before the tag on its line
  EXPECT_EQ(Render("  {{ 'x' }}"), "  x");                   // not before {{
  EXPECT_EQ(Render("  {%+ if true %}x{% endif %}"), "  x");  // '{%+' keeps it
  EXPECT_EQ(Render("line1\n    {% for i in [1,2] %}\n    item {{ i }}\n    {% endfor %}\nend"),
            "line1\n    item 1\n    item 2\nend");
}

TEST(JinjaWhitespaceTest, MinusStripsAllWhitespaceOnThatSide) {
  EXPECT_EQ(Render("a  {{- 'b' -}}  c"), "abc");
  EXPECT_EQ(Render("a\n  {%- if true -%}\n  b\n{%- endif %}"), "ab");
  EXPECT_EQ(Render("a {#- c -#} b"), "ab");
  EXPECT_EQ(Render("<\n{%- if true %}\n  x\n{%- endif %}\n>"), "<  x>");
}

TEST(JinjaWhitespaceTest, CommentsAndRaw) {
  EXPECT_EQ(Render("a{# c #}b"), "ab");
  EXPECT_EQ(Render("a{# {{ not rendered }} {% if %} #}b"), "ab");
  EXPECT_EQ(Render("{% raw %}{{ x }}{% endraw %}"), "{{ x }}");
  EXPECT_EQ(Render("{%- raw -%}  {{ x }}  {%- endraw -%}  after"), "{{ x }}after");
}

TEST(JinjaLiteralTest, StringsDecodePythonEscapes) {
  EXPECT_EQ(Render(R"({{ 'a\nb' }}|{{ '\x41\u00e9\U0001F600\101\d' }}|{{ 'a' 'b' "c" }})"),
            "a\nb|A\u00e9\U0001F600A\\d|abc");
  EXPECT_EQ(Render(R"({{ "it's" }}{{ 'say "hi"' }}{{ 'esc \' \\' }})"), "it'ssay \"hi\"esc ' \\");
}

TEST(JinjaLiteralTest, Numbers) {
  EXPECT_EQ(
      Render("{{ 1_000 }} {{ 0x1f }} {{ 1e3 }} {{ 1.5 }} {{ 0b101 }} {{ 0o17 }} {{ 2.5e-3 }}"),
      "1000 31 1000.0 1.5 5 15 0.0025");
  EXPECT_THAT(Render("{{ 99999999999999999999 }}"), HasSubstr("integer literal too large"));
}

TEST(JinjaLiteralTest, ContainersAndConstants) {
  EXPECT_EQ(Render("{{ [1, 2,] }}{{ {'a': 1,} }}{{ (1, 2) }}{{ (1,) }}{{ () }}{{ 1, 2 }}"),
            "[1, 2]{'a': 1}(1, 2)(1,)()(1, 2)");
  EXPECT_EQ(Render("{{ none }} {{ None }} {{ true }} {{ True }} {{ false }} {{ False }}"),
            "None None True True False False");
  EXPECT_EQ(Render("{{ {1: 'int key', 'k': 2}[1] }}{{ {'a': 1, 'a': 2} }}"), "int key{'a': 2}");
}

TEST(JinjaPrecedenceTest, FollowsJinja) {
  EXPECT_EQ(Render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }}"), "7 9");
  EXPECT_EQ(Render("{{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}"), "64 4");  // left-associative, unary first
  EXPECT_EQ(Render("{{ [1,2,3]|length - 1 }} {{ -1|abs }}"), "2 1");  // filters bind tightest
  EXPECT_EQ(Render("{{ not 1 == 2 }} {{ 1 < 2 < 3 }} {{ 1 < 3 > 2 }} {{ 3 > 2 > 1 > 5 }}"),
            "True True True False");
  EXPECT_EQ(Render("{{ 'a' ~ 'b' * 2 }} {{ 1 ~ 2 * 3 }}"), "abb 16");
  // '+' binds looser than '~': ('x' ~ 1) + 2.
  EXPECT_EQ(Render("{{ 'x' ~ 1 + 2 }}"),
            "ERROR: line 1, column 12: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(Render("{{ true or false and false }} {{ (true or false) and false }}"), "True False");
}

TEST(JinjaPrecedenceTest, ConditionalExpressions) {
  EXPECT_EQ(Render("{{ 'a' if false }}|{{ 'a' if true else 'b' }}|"
                   "{{ 'x' if false else 'y' if true else 'z' }}"),
            "|a|y");
  EXPECT_EQ(
      Render("{{ 1 in [1,2] }}{{ 3 not in [1,2] }}{{ none is not none }}{{ not none is none }}"),
      "TrueTrueFalseFalse");
}

TEST(JinjaSyntaxErrorTest, NamesPositionAndProblem) {
  EXPECT_EQ(Render("ab\n  {{ 'x }}"), "ERROR: line 2, column 6: unterminated string literal");
  EXPECT_EQ(Render("{{ 1 + }}"), "ERROR: line 1, column 8: unexpected '}}'");
  EXPECT_EQ(Render("{% if true %}x"),
            "ERROR: line 1, column 15: unexpected end of template: looking for 'elif' or 'else' or "
            "'endif' to close 'if'");
  EXPECT_EQ(Render("x\n{% endfor %}"), "ERROR: line 2, column 4: unknown tag 'endfor'");
  EXPECT_EQ(Render("{% for x in y %}{% endif %}{% endfor %}"),
            "ERROR: line 1, column 20: unknown tag 'endif' (the innermost open block is 'for')");
  EXPECT_EQ(Render("{{ a ? b }}"), "ERROR: line 1, column 6: unexpected character '?'");
  EXPECT_EQ(Render("{{ (1, 2] }}"), "ERROR: line 1, column 9: unexpected ']', expected ')'");
  EXPECT_EQ(Render("{{ x"), "ERROR: line 1, column 1: unexpected end of template: '}}' missing");
  EXPECT_EQ(Render("{# open"), "ERROR: line 1, column 1: missing end of comment tag '#}'");
  EXPECT_EQ(Render("{% break %}"), "ERROR: line 1, column 4: 'break' outside of a for loop");
  EXPECT_EQ(Render("{% include 'x.j2' %}"),
            "ERROR: line 1, column 4: the 'include' tag is not supported in chat templates");
  EXPECT_EQ(Render("{% set true = 1 %}"), "ERROR: line 1, column 8: cannot assign to 'true'");
  EXPECT_EQ(Render("{% macro m(a=1, b) %}{% endmacro %}"),
            "ERROR: line 1, column 17: non-default argument follows default argument");
  EXPECT_EQ(Render("{{ f(a=1, 2) }}"),
            "ERROR: line 1, column 11: positional argument follows keyword argument");
  EXPECT_EQ(Render("{{ 'a' is defined is defined }}"),
            "ERROR: line 1, column 19: you cannot chain multiple tests with 'is'");
  EXPECT_EQ(Render("{{ '\\xZZ' }}"),
            "ERROR: line 1, column 5: truncated \\x escape in string literal");
}

TEST(JinjaSyntaxErrorTest, ColumnsCountCodePoints) {
  EXPECT_EQ(Render("h\u00e9llo \U0001F600 {{ + }}"), "ERROR: line 1, column 14: unexpected '}}'");
}

TEST(JinjaLexerTest, TokenStream) {
  StatusOr<std::vector<Token>> tokens = Tokenize("a {{ x.y[0] | f(1, k='v') }}");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  std::vector<std::string> values;
  for (const Token& t : *tokens) values.push_back(t.value);
  EXPECT_THAT(values, ::testing::ElementsAre("a ", "{{", "x", ".", "y", "[", "", "]", "|", "f", "(",
                                             "", ",", "k", "=", "v", ")", "}}", ""));
  EXPECT_EQ((*tokens)[6].kind, TokenKind::kInteger);
  EXPECT_EQ((*tokens)[15].kind, TokenKind::kString);
  EXPECT_EQ((*tokens)[2].pos.column, 6);
  EXPECT_EQ(tokens->back().kind, TokenKind::kEnd);
}

TEST(JinjaParserTest, TemplateTooLarge) {
  StatusOr<std::unique_ptr<Program>> program =
      ParseTemplate(std::string(kMaxTemplateBytes + 1, 'x'));
  ASSERT_FALSE(program.ok());
  EXPECT_THAT(std::string(program.status().message()), HasSubstr("more than the 1048576 accepted"));
}

}  // namespace
}  // namespace tokenfab::tokenizer::jinja
