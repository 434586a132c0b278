// Values, JSON and the Unicode functions: Python's printing, equality, ordering, json.dumps and
// str semantics.
#include "tokenizer/jinja/value.h"
#include "tokenizer/jinja/value_compare.h"
#include "tokenizer/jinja/value_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenizer/jinja/json.h"
#include "tokenizer/jinja/methods.h"
#include "tokenizer/jinja/unicode.h"

namespace tokenfab::tokenizer::jinja {
namespace {

using ::testing::ElementsAre;

TEST(JinjaValueTest, FloatReprMatchesPython) {
  EXPECT_EQ(FloatRepr(1.0), "1.0");
  EXPECT_EQ(FloatRepr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FloatRepr(1e16), "1e+16");
  EXPECT_EQ(FloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(FloatRepr(123456789.125), "123456789.125");
  EXPECT_EQ(FloatRepr(0.0001), "0.0001");
  EXPECT_EQ(FloatRepr(0.00001), "1e-05");
  EXPECT_EQ(FloatRepr(-2.5e-300), "-2.5e-300");
  EXPECT_EQ(FloatRepr(1.5e300), "1.5e+300");
  EXPECT_EQ(FloatRepr(-0.0), "-0.0");
  EXPECT_EQ(FloatRepr(1.0 / 0.0), "inf");
  EXPECT_EQ(FloatRepr(0.0 / 0.0 * -1.0).substr(FloatRepr(0.0 / 0.0 * -1.0).size() - 3), "nan");
}

TEST(JinjaValueTest, StrAndRepr) {
  EXPECT_EQ(ToStr(Value()), "");
  EXPECT_EQ(ToStr(Value::None()), "None");
  EXPECT_EQ(ToStr(Value::Bool(false)), "False");
  EXPECT_EQ(ToStr(Value::Int(-42)), "-42");
  Value list =
      Value::List({Value::String("it's"), Value::String("q\"x"), Value::String("b'o\"th"),
                   Value::String("\n\x01\u00e9\u0085\U0001F600"), Value::Tuple({Value::Int(1)})});
  EXPECT_EQ(ToStr(list), "[\"it's\", 'q\"x', 'b\\'o\"th', '\\n\\x01\u00e9\\x85\U0001F600', (1,)]");
  Value dict = Value::DictFromKeys(
      {{Value::String("a"), Value::None()}, {Value::Int(1), Value::Bool(true)}});
  EXPECT_EQ(ToStr(dict), "{'a': None, 1: True}");
  StatusOr<std::string> bounded =
      ToStrBounded(Value::List({Value::String(std::string(100, 'x'))}), 50);
  EXPECT_EQ(bounded.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(JinjaValueTest, EqualityAndOrder) {
  EXPECT_TRUE(Equals(Value::Int(1), Value::Float(1.0)));
  EXPECT_TRUE(Equals(Value::Int(1), Value::Bool(true)));
  EXPECT_FALSE(Equals(Value::String("1"), Value::Int(1)));
  EXPECT_FALSE(Equals(Value::List({Value::Int(1)}), Value::Tuple({Value::Int(1)})));
  EXPECT_TRUE(Equals(Value::Dict({{"a", Value::Int(1)}, {"b", Value::Int(2)}}),
                     Value::Dict({{"b", Value::Int(2)}, {"a", Value::Int(1)}})));
  EXPECT_TRUE(Equals(Value(), Value::Undefined("x")));
  EXPECT_FALSE(Equals(Value(), Value::None()));
  EXPECT_EQ(*Compare(Value::String("\u00e9"), Value::String("z"), "<"), 1);  // code point order
  EXPECT_EQ(
      *Compare(Value::List({Value::Int(1), Value::Int(2)}), Value::List({Value::Int(1)}), "<"), 1);
  EXPECT_FALSE(Compare(Value::String("a"), Value::Int(1), "<").ok());
  EXPECT_FALSE(Compare(Value::Undefined("'x' is undefined"), Value::Int(1), "<").ok());
}

TEST(JinjaValueTest, NamespacesAreSharedAndNeverNested) {
  auto ns = std::make_shared<Namespace>();
  Value a = Value::FromNamespace(ns);
  Value b = a;
  ns->Set("x", Value::Int(1));
  EXPECT_TRUE(a.SameAs(b));
  EXPECT_EQ(ToStr(*b.ns()->Find("x")), "1");
  EXPECT_TRUE(ContainsNamespace(Value::List({a})));
  EXPECT_FALSE(IsHashable(Value::List({})));
  EXPECT_TRUE(IsHashable(Value::Tuple({Value::String("k")})));
}

TEST(JinjaJsonTest, DumpsLikePython) {
  StatusOr<Value> v = ParseJsonValue(
      R"({"b": [1, 2.5, null, true, -0.0, 1e20], "a": "\u00e9 \"q\" \\ \n\t\u0001\u007f </s>", "e": {}, "l": []})");
  ASSERT_TRUE(v.ok()) << v.status();
  JsonOptions options;
  EXPECT_EQ(*ToJson(*v, options),
            "{\"b\": [1, 2.5, null, true, -0.0, 1e+20], \"a\": \"\u00e9 \\\"q\\\" \\\\ "
            "\\n\\t\\u0001\x7f </s>\", "
            "\"e\": {}, \"l\": []}");
  options.ensure_ascii = true;
  EXPECT_EQ(*ToJson(Value::String("\u00e9\U0001F600"), options), "\"\\u00e9\\ud83d\\ude00\"");
  JsonOptions indented;
  indented.indent = "  ";
  indented.sort_keys = true;
  EXPECT_EQ(*ToJson(*ParseJsonValue(R"({"z": [1, {}], "a": {"k": []}})"), indented),
            "{\n  \"a\": {\n    \"k\": []\n  },\n  \"z\": [\n    1,\n    {}\n  ]\n}");
  EXPECT_EQ(std::string(ToJson(Value(), options).status().message()),
            "Object of type Undefined is not JSON serializable");
}

TEST(JinjaJsonTest, ParsesIntoValues) {
  StatusOr<Value> v =
      ParseJsonValue(R"({"i": 3, "big": 18446744073709551615, "f": 1.0, "s": "x", "n": null})");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->object().Find("i")->is_int());
  EXPECT_TRUE(v->object().Find("big")->is_float());
  EXPECT_TRUE(v->object().Find("f")->is_float());
  EXPECT_TRUE(v->object().Find("n")->is_none());
  EXPECT_EQ(v->object().entries[0].first.string(), "i");  // order kept
  EXPECT_FALSE(ParseJsonValue("{bad").ok());
}

TEST(JinjaUnicodeTest, LengthAndRoundTripOfInvalidBytes) {
  EXPECT_EQ(CodePointCount("h\u00e9\U0001F600"), 3u);
  const std::string invalid = "a\xff\xc3(\xed\xa0\x80z";
  EXPECT_EQ(CodePointCount(invalid), 8u);
  EXPECT_EQ(FromCodePoints(ToCodePoints(invalid)), invalid);
}

TEST(JinjaUnicodeTest, StripFollowsPythonWhitespace) {
  EXPECT_EQ(Strip(" \t\n\u00a0\u3000\u0085\u001fx\u2028 ", nullptr, StripSide::kBoth), "x");
  EXPECT_EQ(Strip("\ufeffx\ufeff", nullptr, StripSide::kBoth), "\ufeffx\ufeff");  // not whitespace
  const std::string chars = "\n\u00e9";
  EXPECT_EQ(Strip("\n\u00e9 x \u00e9\n", &chars, StripSide::kBoth), " x ");
  EXPECT_EQ(Strip("\n\n a\n", &chars, StripSide::kLeft), " a\n");
  EXPECT_EQ(Strip("a\n\n", &chars, StripSide::kRight), "a");
}

TEST(JinjaUnicodeTest, SplitLikePython) {
  const std::string comma = ",";
  EXPECT_THAT(SplitString("a,b,,c", &comma, -1, false), ElementsAre("a", "b", "", "c"));
  EXPECT_THAT(SplitString("a,b,c", &comma, 1, true), ElementsAre("a,b", "c"));
  EXPECT_THAT(SplitString(" a \u3000b  c ", nullptr, -1, false), ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitString(" a  b  c ", nullptr, 1, false), ElementsAre("a", "b  c "));
  EXPECT_THAT(SplitString(" a  b  c ", nullptr, 1, true), ElementsAre(" a  b", "c"));
  EXPECT_THAT(SplitString("", nullptr, -1, false), ElementsAre());
  EXPECT_THAT(SplitLines("a\nb\r\nc\rd\u2028e\n", false), ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_THAT(SplitLines("a\r\nb", true), ElementsAre("a\r\n", "b"));
}

TEST(JinjaUnicodeTest, CaseMappingIsFullUnicode) {
  EXPECT_EQ(ToUpper("stra\u00dfe \u00e9t\u00e9"), "STRASSE \u00c9T\u00c9");
  EXPECT_EQ(ToLower("\u00c9T\u00c9 ABC"), "\u00e9t\u00e9 abc");
  EXPECT_EQ(ToTitle("hello wORLD it's \u00e9t\u00e9"), "Hello World It'S \u00c9t\u00e9");
  EXPECT_EQ(Capitalize("\u00dfAB"), "Ssab");
  EXPECT_EQ(SwapCase("AbC"), "aBc");
}

}  // namespace
}  // namespace tokenfab::tokenizer::jinja
