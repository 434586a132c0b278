// The interpreter, construct by construct: statements, scoping, macros, Jinja's Undefined,
// expressions, Python methods, filters, tests and globals. Every expected output is what Python
// Jinja2 renders with Hugging Face's settings for the same template (errors: the same message,
// plus the position).
#include "tokenizer/jinja/interpreter.h"

#include <gtest/gtest.h>

#include "tokenizer/jinja/test_util.h"

namespace tokenfab::tokenizer::jinja {
namespace {

using testing::Render;

TEST(JinjaStatementTest, IfElifElse) {
  EXPECT_EQ(
      Render("{% if x == 1 %}one{% elif x == 2 %}two{% else %}other{% endif %}", R"({"x": 2})"),
      "two");
  EXPECT_EQ(
      Render("{% if x == 1 %}one{% elif x == 2 %}two{% else %}other{% endif %}", R"({"x": 5})"),
      "other");
  EXPECT_EQ(
      Render("{% if [] %}a{% elif {} %}b{% elif '' %}c{% elif 0.0 %}d{% else %}empty{% endif %}"),
      "empty");
}

TEST(JinjaStatementTest, ForLoopVariables) {
  EXPECT_EQ(
      Render("{% for x in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ "
             "loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"),
      "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
  EXPECT_EQ(Render("{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }}-{{ "
                   "loop.cycle('a','b') }};{% endfor %}"),
            "-2-a;1-3-b;2--a;");
  EXPECT_EQ(Render("{% for x in [1,2,3,4] if x is even %}{{ x }}/{{ loop.index }}/{{ loop.length "
                   "}} {% endfor %}"),
            "2/1/2 4/2/2 ");
  EXPECT_EQ(Render("{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in [1] if false %}x{% "
                   "else %}filtered{% endfor %}"),
            "empty|filtered");
  EXPECT_EQ(Render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k "
                   "}}{% endfor %}|{% for (a, b) in [[1, 2]] %}{{ a + b }}{% endfor %}",
                   R"({"d": {"b": 1, "a": 2}})"),
            "b=1;a=2;|ba|3");
  EXPECT_EQ(Render("{% for c in 'hé😀' %}[{{ c }}]{% endfor %}{% for x in undefined_thing %}never{% "
                   "endfor %}"),
            "[h][é][😀]");
  EXPECT_EQ(Render("{% for x in [1,2] %}{% for y in [3] %}{{ loop.index }}{% endfor %}{{ "
                   "loop.index }}{% endfor %}"),
            "1112");
  EXPECT_EQ(Render("{% for x in [1,2,3,4,5] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 "
                   "%}{% break %}{% endif %}{{ x }}{% endfor %}"),
            "13");
  EXPECT_EQ(Render("{% for a, b in [[1, 2], [3]] %}{{ a }}{% endfor %}"),
            "ERROR: line 1, column 4: not enough values to unpack (expected 2, got 1)");
  EXPECT_EQ(Render("{% for x in 5 %}{% endfor %}"),
            "ERROR: line 1, column 13: 'int' object is not iterable");
}

TEST(JinjaStatementTest, Scoping) {
  EXPECT_EQ(
      Render("{% set x = 1 %}{% for i in [1,2] %}[{{ x }}]{% set x = 2 %}{% endfor %}{{ x }}"),
      "[1][1]1");
  EXPECT_EQ(Render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"), "2");
  EXPECT_EQ(Render("{% set ns = namespace(count=0, names=[]) %}{% for m in ['a', 'b'] %}{% set "
                   "ns.count = ns.count + 1 %}{% set ns.names = ns.names + [m] %}{% endfor %}{{ "
                   "ns.count }} {{ ns.names }} {{ ns.missing }}|"),
            "2 ['a', 'b'] |");
  EXPECT_EQ(Render("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}"), "12(1, 2)");
  EXPECT_EQ(Render("{% set x %}in {{ 1 + 1 }}{% endset %}[{{ x }}]{% set y | upper %}shout{% "
                   "endset %}{{ y }}"),
            "[in 2]SHOUT");
  EXPECT_EQ(Render("{% filter upper %}abc {{ 'def' }}{% endfilter %}"), "ABC DEF");
  EXPECT_EQ(Render("{% set x = 1 %}{% set x.y = 2 %}"),
            "ERROR: line 1, column 19: cannot assign attribute on non-namespace object");
}

TEST(JinjaStatementTest, Macros) {
  EXPECT_EQ(Render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ "
                   "greet('Bo') }} {{ greet('Al', punct='?') }} {{ greet() }}|"),
            "Hi Bo! Hi Al? Hi !|");
  EXPECT_EQ(Render("{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}"),
            "ERROR: line 1, column 42: macro 'f' takes not more than 1 argument(s)");
  EXPECT_EQ(Render("{% macro f(a) %}{{ a }}{% endmacro %}{{ f(b=1) }}"),
            "ERROR: line 1, column 42: macro 'f' takes no keyword argument 'b'");
  EXPECT_EQ(
      Render("{% macro f(a) %}{{ a }}|{{ varargs }}|{{ kwargs }}{% endmacro %}{{ f(1, 2, c=3) }}"),
      "1|(2,)|{'c': 3}");
  EXPECT_EQ(Render("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif "
                   "%}{% endmacro %}{{ fact(6) }}"),
            "720");
  EXPECT_EQ(Render("{% macro m() %}{{ top }}{% endmacro %}{% set top = 'seen' %}{{ m() }}"),
            "seen");
}

TEST(JinjaUndefinedTest, BehavesLikeJinjaUndefined) {
  EXPECT_EQ(Render("[{{ nope }}]{{ nope is defined }}{{ nope is undefined }}{{ nope|length }}{{ "
                   "nope ~ 'x' }}{{ 'a' in nope }}{{ nope == none }}{{ not nope }}"),
            "[]FalseTrue0xFalseFalseTrue");
  EXPECT_EQ(Render("{{ nope.attr }}"), "ERROR: line 1, column 8: 'nope' is undefined");
  EXPECT_EQ(Render("{{ nope['key'] }}"), "ERROR: line 1, column 8: 'nope' is undefined");
  EXPECT_EQ(Render("{{ nope + 1 }}"), "ERROR: line 1, column 9: 'nope' is undefined");
  EXPECT_EQ(Render("{{ d.missing }}|{{ d.missing is defined }}|{{ d['missing'] is defined }}",
                   R"({"d": {"a": 1}})"),
            "|False|False");
  EXPECT_EQ(Render("{{ d.missing.deeper }}", R"({"d": {"a": 1}})"),
            "ERROR: line 1, column 13: 'dict object' has no attribute 'missing'");
  EXPECT_EQ(Render("{{ items[5] }}|{{ items[5] is defined }}", R"({"items": [1]})"), "|False");
  EXPECT_EQ(Render("{{ items[5].role }}", R"({"items": [1]})"),
            "ERROR: line 1, column 12: list object has no element 5");
  EXPECT_EQ(Render("{{ nope() }}"), "ERROR: line 1, column 8: 'nope' is undefined");
  EXPECT_EQ(Render("{{ 'x'.nope() }}"),
            "ERROR: line 1, column 12: 'str object' has no attribute 'nope'");
  EXPECT_EQ(Render("{{ none.anything }}|{{ (1).anything }}|{{ [].anything }}|"), "|||");
  EXPECT_EQ(Render("{{ nope|upper }}{{ nope|trim }}{{ nope|default('dflt') }}{{ nope|list }}{{ "
                   "nope|first }}"),
            "dflt[]");
  EXPECT_EQ(Render("{{ nope|tojson }}"),
            "ERROR: line 1, column 9: Object of type Undefined is not JSON serializable");
}

TEST(JinjaExpressionTest, AttributesItemsAndSlices) {
  EXPECT_EQ(Render("{{ d.items is callable }}|{{ d['items'] }}|{{ d.content }}|{{ d['content'] "
                   "}}|{{ d['get'] is callable }}",
                   R"({"d": {"items": 3, "content": "c"}})"),
            "True|3|c|c|True");
  EXPECT_EQ(Render("{{ [1,2,3][1:] }}{{ [1,2,3][::-1] }}{{ [1,2,3][-2:] }}{{ [1,2,3,4,5][1:4:2] "
                   "}}{{ 'héllo'[1:3] }}{{ 'abc'[::-1] }}{{ 'abc'[-1] }}{{ 'abc'[5] }}"),
            "[2, 3][3, 2, 1][2, 3][2, 4]élcbac");
  EXPECT_EQ(Render("{{ [1,2,3][::0] }}"), "ERROR: line 1, column 11: slice step cannot be zero");
  EXPECT_EQ(Render("{{ x.0 }}{{ x[1] }}{{ x[-1] }}{{ t[0] }}", R"({"x": [7, 8, 9], "t": ["a"]})"),
            "789a");
  EXPECT_EQ(Render("{% set ns = namespace(a=1) %}{{ ns.a }}{{ ns['a'] }}"), "11");
}

TEST(JinjaExpressionTest, Arithmetic) {
  EXPECT_EQ(Render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** -1 }} "
                   "{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 2 ** 10 }} {{ 1 + true }} {{ -true }}"),
            "3 -4 -2 2 3.5 0.5 3.0 0.5 1024 2 -1");
  EXPECT_EQ(Render("{{ 'abc' * 2 }}{{ 2 * 'x' }}{{ [1] * 3 }}{{ [1] + [2] }}{{ (1,) + (2,) }}{{ "
                   "'a' * 0 }}|{{ 'a' * -1 }}|"),
            "abcabcxx[1, 1, 1][1, 2](1, 2)||");
  EXPECT_EQ(Render("{{ 1 / 0 }}"), "ERROR: line 1, column 6: division by zero");
  EXPECT_EQ(Render("{{ 1 // 0 }}"), "ERROR: line 1, column 6: integer division or modulo by zero");
  EXPECT_EQ(Render("{{ 'a' + 1 }}"),
            "ERROR: line 1, column 8: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(Render("{{ 1 + 'a' }}"),
            "ERROR: line 1, column 6: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(Render("{{ [1] + (2,) }}"),
            "ERROR: line 1, column 8: can only concatenate list (not \"tuple\") to list");
  EXPECT_EQ(Render("{{ -'a' }}"), "ERROR: line 1, column 4: bad operand type for unary -: 'str'");
}

TEST(JinjaExpressionTest, Comparisons) {
  EXPECT_EQ(
      Render("{{ 1 == 1.0 }}{{ 1 == true }}{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}{{ (1, 2) == [1, 2] "
             "}}{{ {'a': [1]} == {'a': [1]} }}{{ 'b' > 'a' >= 'a' }}{{ none == none }}"),
      "TrueTrueTrueTrueFalseTrueTrueTrue");
  EXPECT_EQ(Render("{{ 'a' < 1 }}"),
            "ERROR: line 1, column 4: '<' not supported between instances of 'str' and 'int'");
  EXPECT_EQ(
      Render("{{ 'ab' in 'cabd' }}{{ 'x' in {'x': 1} }}{{ 1 in {'x': 1} }}{{ [1] in [[1]] }}"),
      "TrueTrueFalseTrue");
  EXPECT_EQ(Render("{{ 1 in 'abc' }}"),
            "ERROR: line 1, column 4: 'in <string>' requires string as left operand, not int");
  EXPECT_EQ(Render("{{ 1 in 5 }}"),
            "ERROR: line 1, column 4: argument of type 'int' is not iterable");
}

TEST(JinjaExpressionTest, PrintsLikePython) {
  EXPECT_EQ(Render("{{ none }} {{ true }} {{ 1.0 }} {{ 1e16 }} {{ 1e15 }} {{ 0.1 + 0.2 }} {{ 1e-5 "
                   "}} {{ 0.0001 }} {{ -0.0 }} {{ 1/3 }} {{ 2.5e-300 * 1e-100 }}"),
            "None True 1.0 1e+16 1000000000000000.0 0.30000000000000004 1e-05 0.0001 -0.0 "
            "0.3333333333333333 0.0");
  EXPECT_EQ(Render("{{ [1, 'its', \"q\", none, 1.5, {'k': [true]}] }}"),
            "[1, 'its', 'q', None, 1.5, {'k': [True]}]");
  EXPECT_EQ(Render("{{ {'a': \"it's\", 'b': 'say \"hi\"', 'c': 'both \\' and \"', 'd': "
                   "'nl\\n\\ttab\\\\'} }}"),
            "{'a': \"it's\", 'b': 'say \"hi\"', 'c': 'both \\' and \"', 'd': 'nl\\n\\ttab\\\\'}");
  EXPECT_EQ(Render("{{ ['é\\u0085\\u200b😀\\x7f\\x00'] }}"), "['é\\x85\\u200b😀\\x7f\\x00']");
  EXPECT_EQ(Render("{{ x }}", R"({"x": {"nested": [1, 2.5, null, true, "s"]}})"),
            "{'nested': [1, 2.5, None, True, 's']}");
}

TEST(JinjaMethodTest, StringMethods) {
  EXPECT_EQ(Render("[{{ '  a b  '.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '\\n\\n a "
                   "\\n'.lstrip('\\n') }}][{{ 'a\\n\\n'.rstrip('\\n') }}][{{ "
                   "'\\u3000a\\u00a0'.strip() }}][{{ 'abcba'.strip('ab') }}]"),
            "[a b][a][ a \n][a][a][c]");
  EXPECT_EQ(Render("{{ 'a,b,,c'.split(',') }}{{ ' a  b  c '.split() }}{{ ' a  b  c '.split(None, "
                   "1) }}{{ ' a  b  c '.rsplit(None, 1) }}{{ 'a,b,c'.split(',', 1) }}{{ "
                   "'a,b,c'.rsplit(',', 1) }}{{ ''.split() }}{{ ''.split(',') }}"),
            "['a', 'b', '', 'c']['a', 'b', 'c']['a', 'b  c '][' a  b', 'c']['a', 'b,c']['a,b', "
            "'c'][]['']");
  EXPECT_EQ(Render("{{ 'x</think>y</think>z'.split('</think>')[-1] }}|{{ "
                   "'l1\\nl2\\r\\nl3\\n'.splitlines() }}"),
            "z|['l1', 'l2', 'l3']");
  EXPECT_EQ(Render("{{ 'a'.split('') }}"), "ERROR: line 1, column 13: empty separator");
  EXPECT_EQ(Render("{{ '{}{0}'.format('a') }}"),
            "ERROR: line 1, column 18: cannot switch from manual field specification to automatic "
            "field numbering");
  EXPECT_EQ(
      Render(
          "{{ 'hello'.startswith('he') }}{{ 'hello'.startswith(('x', 'h')) }}{{ "
          "'hello'.endswith('lo') }}{{ 'hello'.endswith('he') }}{{ 'hello'.startswith('l', 2) }}"),
      "TrueTrueTrueFalseTrue");
  EXPECT_EQ(Render("{{ 'aaa'.replace('a', 'b') }}{{ 'aaa'.replace('a', 'b', 2) }}{{ "
                   "'ab'.replace('', '-') }}"),
            "bbbbba-a-b-");
  EXPECT_EQ(Render("{{ 'Straße été'.upper() }}|{{ 'ÉTÉ ABC'.lower() }}|{{ \"hello wORLD "
                   "it's\".title() }}|{{ 'hELLO w'.capitalize() }}|{{ 'AbC'.swapcase() }}"),
            "STRASSE ÉTÉ|été abc|Hello World It'S|Hello w|aBc");
  EXPECT_EQ(Render("{{ '{} and {name} {{}} {!r}'.format('x', 'z', name='y') }}|{{ "
                   "'{1}{0}'.format('a', 'b') }}|{{ ', '.join(['a', 'b']) }}|{{ 'abcabc'.find('c') "
                   "}}{{ 'abc'.find('z') }}{{ 'abcabc'.rfind('c') }}{{ 'éabc'.find('b') }}|{{ "
                   "'aaa'.count('a') }}{{ [1, 1, 2].count(1) }}{{ [5, 6].index(6) }}"),
            "x and y {} 'z'|ba|a, b|2-152|321");
  EXPECT_EQ(
      Render("{{ '123'.isdigit() }}{{ 'abc'.isalpha() }}{{ 'a1'.isalnum() }}{{ ' \\t'.isspace() "
             "}}{{ 'abc'.islower() }}{{ 'ABC'.isupper() }}{{ ''.isdigit() }}{{ '1a'.isdigit() }}"),
      "TrueTrueTrueTrueTrueTrueFalseFalse");
  EXPECT_EQ(Render("{{ ', '.join([1]) }}"),
            "ERROR: line 1, column 13: sequence item 0: expected str instance, int found");
}

TEST(JinjaMethodTest, DictMethods) {
  EXPECT_EQ(Render("{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 5) }}{{ d.keys()|list }}{{ "
                   "d.values()|list }}{{ d.items()|list }}",
                   R"({"d": {"a": 1, "b": [2]}})"),
            "1None5['a', 'b'][1, [2]][('a', 1), ('b', [2])]");
}

TEST(JinjaFilterTest, TextFilters) {
  EXPECT_EQ(Render("{{ nope|upper }}|{{ nope|trim }}|{{ nope|string }}|{{ nope|join }}|{{ "
                   "nope|length }}|{{ none|trim }}"),
            "||||0|None");
  EXPECT_EQ(
      Render("[{{ '  x  '|trim }}][{{ 'xxaxx'|trim('x') }}][{{ 'hello wORLD-foo(bar)'|title }}][{{ "
             "'hELLO'|capitalize }}][{{ 'aB'|upper }}{{ 'aB'|lower }}][{{ 'ab'|center(6) }}]"),
      "[x][a][Hello World-Foo(Bar)][Hello][ABab][  ab  ]");
  EXPECT_EQ(Render("{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ "
                   "'a\\n\\nb\\n'|indent(blank=true) }}|{{ 'x'|indent('--', first=true) }}"),
            "a\n    b\n\n    c|  a\n  b|a\n    \n    b\n    |--x");
  EXPECT_EQ(Render("{{ 'a-a-a'|replace('a', 'b') }}{{ 'a-a-a'|replace('a', 'b', 2) }}{{ "
                   "12|replace('1', 'x') }}|{{ '<a href=\"x\">&\\''|e }}|{{ '<b>'|safe }}|{{ "
                   "1.5|string }}{{ none|string }}{{ [1]|string }}"),
            "b-b-bb-b-ax2|&lt;a href=&#34;x&#34;&gt;&amp;&#39;|<b>|1.5None[1]");
  EXPECT_EQ(
      Render("{{ ' 12 '|int }}|{{ '1_000'|int }}|{{ '1.9'|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ "
             "none|int }}|{{ 3.9|int }}|{{ true|int }}|{{ '0x1f'|int }}|{{ '-7'|int }}"),
      "12|1000|1|0|7|0|3|1|0|-7");
  EXPECT_EQ(Render("{{ '1.5'|float }}|{{ 'x'|float }}|{{ 2|float }}|{{ ' 1e3 '|float }}|{{ -3|abs "
                   "}}{{ -2.5|abs }}"),
            "1.5|0.0|2.0|1000.0|32.5");
  EXPECT_EQ(Render("{{ 2.5|round }}|{{ 3.5|round }}|{{ 5|round }}|{{ 2.675|round(2) }}|{{ "
                   "2.1|round(method='ceil') }}|{{ 2.9|round(method='floor') }}|{{ -2.5|round "
                   "}}|{{ 1234.5678|round(2) }}"),
            "2.0|4.0|5|2.67|3.0|2.0|-2.0|1234.57");
}

TEST(JinjaFilterTest, Tojson) {
  EXPECT_EQ(
      Render("{{ x|tojson }}",
             R"({"x": {"b": [1, 2.5, null, true], "a": "é \"q\" \\ \n\t\u0001 😀 </script>"}})"),
      "{\"b\": [1, 2.5, null, true], \"a\": \"é \\\"q\\\" \\\\ \\n\\t\\u0001 😀 </script>\"}");
  EXPECT_EQ(
      Render(
          "{{ x|tojson(indent=2) }}|{{ x|tojson(sort_keys=true) }}|{{ 'é'|tojson(true) }}|{{ "
          "x|tojson(separators=(',', ':')) }}|{{ []|tojson(indent=2) }}{{ {}|tojson(indent=2) }}",
          R"({"x": {"b": [1, 2], "a": {}}})"),
      "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": {}\n}|{\"a\": {}, \"b\": [1, "
      "2]}|\"\\u00e9\"|{\"b\":[1,2],\"a\":{}}|[]{}");
  EXPECT_EQ(Render("{{ (1, 'two')|tojson }}{{ {1: 'int key'}|tojson }}{{ 1e16|tojson }}{{ "
                   "'x'|tojson(indent='\\t') }}"),
            "[1, \"two\"]{\"1\": \"int key\"}1e+16\"x\"");
  EXPECT_EQ(
      Render(
          "{{ tools|tojson(indent=4) }}",
          R"({"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]})"),
      "[\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"name\": "
      "\"f\",\n            \"parameters\": {\n                \"type\": \"object\",\n              "
      "  \"properties\": {}\n            }\n        }\n    }\n]");
  EXPECT_EQ(Render("{{ namespace()|tojson }}"),
            "ERROR: line 1, column 16: Object of type Namespace is not JSON serializable");
}

TEST(JinjaFilterTest, SequenceFilters) {
  EXPECT_EQ(Render("{{ [1, 2]|length }}{{ 'hé😀'|length }}{{ {'a': 1}|count }}{{ []|first }}|{{ "
                   "'abc'|first }}{{ {'k': 1}|first }}{{ [1, 2]|last }}{{ 'abc'|last }}"),
            "231|ak2c");
  EXPECT_EQ(Render("{{ 'abc'|list }}{{ {'a': 1}|list }}{{ [3, 1, 2]|sort }}{{ ['b', 'A', 'c']|sort "
                   "}}{{ [3, 1, 2]|sort(reverse=true) }}{{ ['a', 'A', 'b']|unique|list }}{{ {'b': "
                   "1, 'A': 2}|dictsort }}{{ 'abc'|reverse }}{{ [1, 2]|reverse|list }}"),
            "['a', 'b', 'c']['a'][1, 2, 3]['A', 'b', 'c'][3, 2, 1]['a', 'b'][('A', 2), ('b', "
            "1)]cba[2, 1]");
  EXPECT_EQ(Render("{{ msgs|map(attribute='role')|list }}|{{ msgs|map(attribute='x', "
                   "default='d')|list }}|{{ ['a', 'b']|map('upper')|list }}|{{ msgs|join(', ', "
                   "attribute='role') }}|{{ [1, 2]|join }}|{{ 'abc'|join('-') }}",
                   R"({"msgs": [{"role": "user"}, {"role": "assistant"}]})"),
            "['user', 'assistant']|['d', 'd']|['A', 'B']|user, assistant|12|a-b-c");
  EXPECT_EQ(Render("{{ msgs|selectattr('x')|list }}|{{ msgs|selectattr('role', 'equalto', "
                   "'user')|list }}|{{ msgs|rejectattr('role', 'eq', "
                   "'user')|map(attribute='role')|list }}|{{ [1, 2, 3, 4]|select('odd')|list }}|{{ "
                   "[1, 2, 3]|reject('gt', 1)|list }}|{{ none|selectattr('x')|list }}",
                   R"({"msgs": [{"role": "user", "x": 1}, {"role": "assistant"}]})"),
            "[{'role': 'user', 'x': 1}]|[{'role': 'user', 'x': 1}]|['assistant']|[1, 3]|[1]|[]");
  EXPECT_EQ(Render("{{ {'a': 1}|items|list }}{{ nope|items|list }}{{ [1, 2, 3]|sum }}{{ [1.5, "
                   "2]|sum(start=1) }}{{ [{'n': 2}, {'n': 3}]|sum(attribute='n') }}{{ [3, 1]|max "
                   "}}{{ ['b', 'A']|min }}{{ []|max }}|"),
            "[('a', 1)][]64.553A|");
  EXPECT_EQ(Render("{{ msgs|sort(attribute='n')|map(attribute='n')|list }}{{ [[1, 'b'], [0, "
                   "'a']]|sort(attribute='0')|list }}",
                   R"({"msgs": [{"n": 3}, {"n": 1}, {"n": 2}]})"),
            "[1, 2, 3][[0, 'a'], [1, 'b']]");
  EXPECT_EQ(Render("{{ none|default('d') }}|{{ nope|default('d') }}|{{ ''|default('d', true) }}|{{ "
                   "nope|d }}|{{ 0|d(5, boolean=true) }}"),
            "None|d|d||5");
  EXPECT_EQ(Render("{{ [1, 'a']|sort }}"),
            "ERROR: line 1, column 13: '<' not supported between instances of 'str' and 'int'");
  EXPECT_EQ(Render("{{ 'x'|no_such_filter }}"),
            "ERROR: line 1, column 8: No filter named 'no_such_filter'.");
}

TEST(JinjaTestTest, Tests) {
  EXPECT_EQ(Render("{{ [1, 2] is sequence }}{{ nope is sequence }}{{ nope is iterable }}{{ 'a' is "
                   "iterable }}{{ 1 is iterable }}{{ {} is mapping }}{{ true is number }}{{ true "
                   "is integer }}{{ 1 is integer }}{{ 1.0 is float }}{{ none is none }}"),
            "TrueTrueTrueTrueFalseTrueTrueFalseTrueTrueTrue");
  EXPECT_EQ(Render("{{ 3 is divisibleby 3 }}{{ 2 is even }}{{ 3 is odd }}{{ 1 is eq 1 }}{{ 1 is ne "
                   "2 }}{{ 1 is lt 2 }}{{ 1 is le 1 }}{{ 2 is gt 1 }}{{ 2 is ge 3 }}{{ 'a' is in "
                   "'abc' }}{{ 1 is in [2] }}"),
            "TrueTrueTrueTrueTrueTrueTrueTrueFalseTrueFalse");
  EXPECT_EQ(Render("{{ 'ABC' is upper }}{{ 'abc' is lower }}{{ true is boolean }}{{ 1 is boolean "
                   "}}{{ range is callable }}{{ 'x' is callable }}{{ false is sameas false }}{{ "
                   "true is true }}{{ 1 is true }}{{ false is false }}{{ 'x' is string }}{{ "
                   "'upper' is filter }}{{ 'odd' is test }}{{ 'nope' is filter }}"),
            "TrueTrueTrueFalseTrueFalseTrueTrueFalseTrueTrueTrueTrueFalse");
  EXPECT_EQ(Render("{% set ns = namespace(a=1) %}{{ ns is mapping }}{{ ns is iterable }}{{ ns is "
                   "defined }}"),
            "FalseFalseTrue");
  EXPECT_EQ(Render("{{ 1 is no_such_test }}"),
            "ERROR: line 1, column 6: No test named 'no_such_test'.");
}

TEST(JinjaGlobalTest, Globals) {
  EXPECT_EQ(Render("{{ range(3)|list }}{{ range(1, 7, 2)|list }}{{ range(5, 0, -2)|list }}{{ "
                   "range(0)|list }}"),
            "[0, 1, 2][1, 3, 5][5, 3, 1][]");
  EXPECT_EQ(Render("{{ range(1000000)|length }}"),
            "ERROR: line 1, column 9: range() too big: ranges of more than 100000 items are "
            "refused (MAX_RANGE)");
  EXPECT_EQ(Render("{{ range(1, 2, 0) }}"),
            "ERROR: line 1, column 9: range() arg 3 must not be zero");
  EXPECT_EQ(Render("{{ dict(a=1, b='x') }}{{ namespace() }}{{ namespace(a=1, b=[2]) }}{{ "
                   "dict([('k', 1)], z=2) }}"),
            "{'a': 1, 'b': 'x'}<Namespace {}><Namespace {'a': 1, 'b': [2]}>{'k': 1, 'z': 2}");
  EXPECT_EQ(
      Render("{% set j = joiner(' | ') %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %}"),
      "1 | 2 | 3");
  EXPECT_EQ(Render("before{{ raise_exception('Roles must alternate') }}"),
            "ERROR: line 1, column 25: Roles must alternate");
  EXPECT_EQ(Render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ "
                   "strftime_now('%A %B %-d, %I %p %j %y %%') }}"),
            "26 Jul 2024|2024-07-26 13:45:30|Friday July 26, 01 PM 208 24 %");
  EXPECT_EQ(Render("{% set range = 'shadowed' %}{{ range }}"), "shadowed");
}

// Where tokenfab deliberately stops short of Python.
TEST(JinjaDeviationTest, DocumentedLimits) {
  // Integers are 64-bit (Python's are unbounded).
  EXPECT_EQ(Render("{{ 9223372036854775807 + 1 }}"),
            "ERROR: line 1, column 24: integer overflow (beyond 64 bits)");
  // printf-style formatting is not implemented.
  EXPECT_EQ(
      Render("{{ '%s' % 1 }}"),
      "ERROR: line 1, column 9: printf-style string formatting ('...' % args) is not supported");
  // A namespace may not hold a namespace (so values can never form a cycle).
  EXPECT_EQ(Render("{% set ns = namespace() %}{% set ns.self = ns %}"),
            "ERROR: line 1, column 30: a namespace cannot be stored inside a namespace");
  // Filters Python evaluates lazily fail at once on a bad input.
  EXPECT_EQ(Render("{{ 5|items }}"),
            "ERROR: line 1, column 6: Can only get item pairs from a mapping.");
  // Bound methods print by name.
  EXPECT_EQ(Render("{{ 'x'.upper }}"), "<function upper>");
}

}  // namespace
}  // namespace tokenfab::tokenizer::jinja
