// Hostile templates: every limit turns a runaway template into an error Status, and random
// template text never crashes the lexer, parser or interpreter.
#include <atomic>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/base/random.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/test_util.h"

namespace tokenfab::tokenizer::jinja {
namespace {

using ::testing::HasSubstr;
using testing::RenderStatus;

void ExpectExhausted(const StatusOr<std::string>& out, std::string_view what) {
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted) << out.status();
  EXPECT_THAT(std::string(out.status().message()), HasSubstr(std::string(what)));
}

TEST(JinjaLimitsTest, StepLimitStopsLongLoops) {
  RenderLimits limits;
  limits.max_steps = 100'000;
  ExpectExhausted(
      RenderStatus(
          "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "{}",
          limits),
      "exceeded 100000 evaluation steps");
  // Within the limit the same kind of template renders.
  EXPECT_TRUE(RenderStatus("{% for i in range(100) %}{{ i }}{% endfor %}", "{}", limits).ok());
}

TEST(JinjaLimitsTest, DepthLimitStopsRunawayRecursion) {
  ExpectExhausted(RenderStatus("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
                  "nesting exceeded 300");
  // Bounded recursion is fine.
  EXPECT_EQ(
      *RenderStatus(
          "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"),
      "54321");
}

TEST(JinjaLimitsTest, OutputLimit) {
  RenderLimits limits;
  limits.max_output_bytes = 1 << 20;
  ExpectExhausted(
      RenderStatus("{% for i in range(20000) %}{{ 'x' * 100 }}{% endfor %}", "{}", limits),
      "output exceeded 1048576 bytes");
}

TEST(JinjaLimitsTest, LargeValuesAreRefusedBeforeTheyAreBuilt) {
  ExpectExhausted(RenderStatus("{{ 'x' * 1000000000000 }}"), "string repetition would exceed");
  ExpectExhausted(RenderStatus("{{ ([1] * 1000000000000)|length }}"),
                  "list repetition would exceed");
  ExpectExhausted(RenderStatus("{{ range(1000000000)|length }}"), "range() too big");
  RenderLimits limits;
  limits.max_output_bytes = 1000;
  ExpectExhausted(RenderStatus("{% set s = 'x' * 600 %}{{ (s ~ s)|length }}", "{}", limits),
                  "string would exceed the 1000 byte limit");
  ExpectExhausted(RenderStatus("{% set s = 'x' * 600 %}{{ (s + s)|length }}", "{}", limits),
                  "string would exceed the 1000 byte limit");
  ExpectExhausted(RenderStatus("{{ ['x' * 600, 'y' * 600]|join }}", "{}", limits),
                  "join() result would exceed");
  ExpectExhausted(RenderStatus("{{ ('x' * 600).replace('x', 'yy') }}", "{}", limits),
                  "replace() result would exceed");
  ExpectExhausted(RenderStatus("{{ ['x' * 600, 'y' * 600]|tojson }}", "{}", limits),
                  "JSON text would exceed");
  ExpectExhausted(RenderStatus("{{ ['x' * 600, 'y' * 600]|string }}", "{}", limits),
                  "string would exceed");
}

TEST(JinjaLimitsTest, ValueNestingIsBounded) {
  ExpectExhausted(
      RenderStatus("{% set ns = namespace(v=[]) %}{% for i in range(1000) %}{% set ns.v = [ns.v] %}"
                   "{% endfor %}{{ ns.v|length }}"),
      "nests deeper than 200 levels");
  ExpectExhausted(
      RenderStatus(
          "{% set ns = namespace(v={}) %}{% for i in range(1000) %}{% set ns.v = {'k': ns.v} %}"
          "{% endfor %}"),
      "nests deeper than 200 levels");
  StatusOr<std::string> deep_json =
      RenderStatus("{{ x }}", "{\"x\": " + std::string(500, '[') + std::string(500, ']') + "}");
  ASSERT_FALSE(deep_json.ok());
  EXPECT_THAT(std::string(deep_json.status().message()), HasSubstr("not valid JSON"));
}

TEST(JinjaLimitsTest, ParserNestingIsBounded) {
  const std::string deep = "{{ " + std::string(1000, '(') + "1" + std::string(1000, ')') + " }}";
  StatusOr<std::string> out = RenderStatus(deep);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("template nests deeper than 100 levels"));
  std::string nots = "{{ ";
  for (int i = 0; i < 1000; ++i) nots += "not ";
  EXPECT_THAT(std::string(RenderStatus(nots + "x }}").status().message()),
              HasSubstr("nests deeper"));
  std::string blocks;
  for (int i = 0; i < 200; ++i) blocks += "{% if true %}";
  for (int i = 0; i < 200; ++i) blocks += "{% endif %}";
  EXPECT_THAT(std::string(RenderStatus(blocks).status().message()), HasSubstr("nests deeper"));
  // Iterating a huge string character by character is refused.
  RenderLimits limits;
  EXPECT_THAT(std::string(RenderStatus("{% for c in 'x' * 2000000 %}{% endfor %}", "{}", limits)
                              .status()
                              .message()),
              HasSubstr("iterating a string of more than 1000000 characters"));
}

// A clock whose monotonic reading advances 1 ms every time it is read.
class TickingClock final : public base::Clock {
 public:
  int64_t NowMicros() const override { return now_.fetch_add(1000) + 1000; }
  int64_t WallMicros() const override { return testing::kTestNowMicros; }

 private:
  mutable std::atomic<int64_t> now_{0};
};

TEST(JinjaLimitsTest, TimeLimitUsesTheInjectedClock) {
  TickingClock clock;
  RenderLimits limits;
  limits.max_micros = 50'000;  // 50 reads of the ticking clock
  ExpectExhausted(
      RenderStatus("{% for i in range(100000) %}{{ i }}{% endfor %}", "{}", limits, &clock),
      "took longer than 50 ms");
  limits.max_micros = 0;  // no time limit
  EXPECT_TRUE(
      RenderStatus("{% for i in range(10000) %}{{ i }}{% endfor %}", "{}", limits, &clock).ok());
}

TEST(JinjaLimitsTest, ErrorsCarryThePositionOfTheFailingExpression) {
  StatusOr<std::string> out =
      RenderStatus("line one\n{% for m in messages %}\n  {{ m.content.upper() + 1 }}\n{% endfor %}",
                   R"({"messages": [{"content": "x"}]})");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(out.status().message()),
            "line 3, column 24: can only concatenate str (not \"int\") to str");
}

// Random mixtures of template syntax: never a crash, always a result or an error.
TEST(JinjaLimitsTest, RandomTemplatesNeverCrash) {
  static constexpr const char* kPieces[] = {
      "{{",          "}}",
      "{%",          "%}",
      "{#",          "#}",
      "{%-",         "-%}",
      "if",          "elif",
      "else",        "endif",
      "for",         "in",
      "endfor",      "set",
      "=",           "x",
      "ns",          "namespace(a=1)",
      "ns.a",        "macro",
      "endmacro",    "m(",
      ")",           "(",
      "[",           "]",
      "{",           "}",
      ",",           ":",
      "'s'",         "\"t\"",
      "1",           "2.5",
      "-",           "+",
      "*",           "/",
      "//",          "%",
      "**",          "~",
      "|",           "length",
      "upper",       "tojson",
      "join",        "is",
      "not",         "defined",
      "none",        "and",
      "or",          "loop.index",
      "messages",    "[0]",
      "[::-1]",      ".strip()",
      ".split('a')", "raise_exception('r')",
      "range(3)",    " ",
      "\n",          "text",
      "break",       "continue",
      "filter",      "endfilter",
      "raw",         "endraw",
      "\\",          "'",
      "\xff",        "\xc3\xa9",
  };
  base::Random random(1234);
  RenderLimits limits;
  limits.max_steps = 20'000;
  limits.max_output_bytes = 1 << 16;
  int rendered = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string source;
    const int n = 1 + static_cast<int>(random.Below(40));
    for (int k = 0; k < n; ++k) source += kPieces[random.Below(std::size(kPieces))];
    StatusOr<std::string> out = RenderStatus(
        source, R"({"messages": [{"role": "user", "content": "hi"}], "x": [1, 2]})", limits);
    if (out.ok()) ++rendered;
  }
  EXPECT_GT(rendered, 100);  // some of them are valid templates
}

}  // namespace
}  // namespace tokenfab::tokenizer::jinja
