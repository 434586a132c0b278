// ExpressionParser: Jinja expressions, with Python Jinja2's grammar and precedence (lowest
// first): `a if c else b`, or, and, not, comparisons (chained; in, not in), + -, ~, * / // %, **,
// unary - +, then primaries with their postfixes (.attr, [key], [a:b:c], (args)) and filters and
// tests (`|f(args)`, `is [not] t args`), which bind tighter than any operator:
// `messages|length - 1` is `(messages|length) - 1`. Reads from a TokenStream it does not own; one
// per parse, not thread-safe.
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/token_stream.h"

namespace tokenfab::tokenizer::jinja {

class ExpressionParser {
 public:
  explicit ExpressionParser(TokenStream& stream) : s_(stream) {}

  // Comma-separated expressions, a tuple when there is a comma (`{{ a, b }}`, `set x = 1, 2`).
  // Stops before '}}', '%}', ')' or a name in `extra_end`. `with_condexpr` false: the items are
  // parsed without `a if c else b` (Jinja's rule for `if` tests and `for` iterables).
  // `explicit_parentheses`: inside '(' ... ')', where `()` is the empty tuple.
  [[nodiscard]] StatusOr<ExprPtr> ParseTuple(bool with_condexpr,
                                             std::initializer_list<std::string_view> extra_end,
                                             bool explicit_parentheses = false);
  // One expression.
  [[nodiscard]] StatusOr<ExprPtr> ParseExpression(bool with_condexpr);
  // A filter name and its arguments applied to `operand` (the '|' already consumed); a null
  // operand is a filter of a {% filter %} or {% set x | f %} block.
  [[nodiscard]] StatusOr<ExprPtr> ParseFilter(ExprPtr operand);

 private:
  bool IsTupleEnd(std::initializer_list<std::string_view> extra_end) const;
  StatusOr<ExprPtr> ParseOr();
  StatusOr<ExprPtr> ParseAnd();
  StatusOr<ExprPtr> ParseNot();
  StatusOr<ExprPtr> ParseCompare();
  StatusOr<ExprPtr> Binary(BinaryOp op, ExprPtr left, ExprPtr right, SourcePos pos);
  StatusOr<ExprPtr> ParseMath1();
  StatusOr<ExprPtr> ParseConcat();
  StatusOr<ExprPtr> ParseMath2();
  StatusOr<ExprPtr> ParsePow();
  StatusOr<ExprPtr> ParseUnary(bool with_filter);
  StatusOr<ExprPtr> ParsePrimary();
  StatusOr<ExprPtr> ParseList();
  StatusOr<ExprPtr> ParseDict();
  StatusOr<ExprPtr> ParsePostfix(ExprPtr node);
  StatusOr<ExprPtr> ParseSubscript(ExprPtr object);
  StatusOr<ExprPtr> ParseSubscribed();
  Status ParseCallArgs(std::vector<Arg>* args);
  StatusOr<ExprPtr> ParseCall(ExprPtr callee);
  StatusOr<ExprPtr> ParseFilterExpr(ExprPtr node);
  StatusOr<ExprPtr> ParseTest(ExprPtr operand);

  TokenStream& s_;
};

}  // namespace tokenfab::tokenizer::jinja
