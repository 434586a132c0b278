#include "tokenizer/jinja/expression_parser.h"

#include <algorithm>
#include <string>
#include <utility>

namespace tokenfab::tokenizer::jinja {

bool ExpressionParser::IsTupleEnd(std::initializer_list<std::string_view> extra_end) const {
  const Token& t = s_.Current();
  if (t.kind == TokenKind::kVariableEnd || t.kind == TokenKind::kBlockEnd ||
      t.kind == TokenKind::kEnd) {
    return true;
  }
  if (t.kind == TokenKind::kOperator && t.value == ")") return true;
  if (t.kind == TokenKind::kName) {
    return std::find(extra_end.begin(), extra_end.end(), t.value) != extra_end.end();
  }
  return false;
}

// Comma-separated expressions; a tuple when there is a comma.
StatusOr<ExprPtr> ExpressionParser::ParseTuple(bool with_condexpr,
                                               std::initializer_list<std::string_view> extra_end,
                                               bool explicit_parentheses) {
  const SourcePos pos = s_.Current().pos;
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) TF_RETURN_IF_ERROR(s_.ExpectOp(","));
    if (IsTupleEnd(extra_end)) break;
    TF_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(with_condexpr));
    items.push_back(std::move(item));
    if (s_.IsOp(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parentheses) return s_.Unexpected("an expression");
  }
  auto tuple = MakeExpr(ExprKind::kTuple, pos);
  tuple->children = std::move(items);
  return tuple;
}

StatusOr<ExprPtr> ExpressionParser::ParseExpression(bool with_condexpr) {
  if (!with_condexpr) return ParseOr();
  TF_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
  while (s_.IsName("if")) {
    const SourcePos pos = s_.Current().pos;
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr test, ParseOr());
    ExprPtr otherwise;
    if (s_.SkipName("else")) {
      TF_ASSIGN_OR_RETURN(otherwise, ParseExpression(true));
    }
    auto cond = MakeExpr(ExprKind::kCondition, pos);
    cond->children.push_back(std::move(test));
    cond->children.push_back(std::move(expr));
    cond->children.push_back(std::move(otherwise));
    expr = std::move(cond);
  }
  return expr;
}

StatusOr<ExprPtr> ExpressionParser::ParseOr() {
  TF_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
  while (s_.IsName("or")) {
    auto node = MakeExpr(ExprKind::kOr, s_.Current().pos);
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
    node->children.push_back(std::move(left));
    node->children.push_back(std::move(right));
    left = std::move(node);
  }
  return left;
}

StatusOr<ExprPtr> ExpressionParser::ParseAnd() {
  TF_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
  while (s_.IsName("and")) {
    auto node = MakeExpr(ExprKind::kAnd, s_.Current().pos);
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
    node->children.push_back(std::move(left));
    node->children.push_back(std::move(right));
    left = std::move(node);
  }
  return left;
}

StatusOr<ExprPtr> ExpressionParser::ParseNot() {
  if (s_.IsName("not")) {
    TokenStream::DepthGuard guard(&s_);
    TF_RETURN_IF_ERROR(guard.Check());
    auto node = MakeExpr(ExprKind::kNot, s_.Current().pos);
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
    node->children.push_back(std::move(operand));
    return node;
  }
  return ParseCompare();
}

StatusOr<ExprPtr> ExpressionParser::ParseCompare() {
  const SourcePos pos = s_.Current().pos;
  TF_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
  auto node = MakeExpr(ExprKind::kCompare, pos);
  node->children.push_back(std::move(first));
  while (true) {
    CompareOp op;
    if (s_.IsOp("==")) {
      op = CompareOp::kEq;
    } else if (s_.IsOp("!=")) {
      op = CompareOp::kNe;
    } else if (s_.IsOp("<")) {
      op = CompareOp::kLt;
    } else if (s_.IsOp("<=")) {
      op = CompareOp::kLe;
    } else if (s_.IsOp(">")) {
      op = CompareOp::kGt;
    } else if (s_.IsOp(">=")) {
      op = CompareOp::kGe;
    } else if (s_.IsName("in")) {
      op = CompareOp::kIn;
    } else if (s_.IsName("not") && s_.Peek().kind == TokenKind::kName && s_.Peek().value == "in") {
      op = CompareOp::kNotIn;
      s_.Advance();
    } else {
      break;
    }
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr operand, ParseMath1());
    node->compare_ops.push_back(op);
    node->children.push_back(std::move(operand));
  }
  if (node->compare_ops.empty()) return std::move(node->children[0]);
  return node;
}

StatusOr<ExprPtr> ExpressionParser::Binary(BinaryOp op, ExprPtr left, ExprPtr right,
                                           SourcePos pos) {
  auto node = MakeExpr(ExprKind::kBinary, pos);
  node->binary_op = op;
  node->children.push_back(std::move(left));
  node->children.push_back(std::move(right));
  return node;
}

StatusOr<ExprPtr> ExpressionParser::ParseMath1() {
  TF_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
  while (s_.IsOp("+") || s_.IsOp("-")) {
    const BinaryOp op = s_.IsOp("+") ? BinaryOp::kAdd : BinaryOp::kSub;
    const SourcePos pos = s_.Current().pos;
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
    TF_ASSIGN_OR_RETURN(left, Binary(op, std::move(left), std::move(right), pos));
  }
  return left;
}

StatusOr<ExprPtr> ExpressionParser::ParseConcat() {
  TF_ASSIGN_OR_RETURN(ExprPtr left, ParseMath2());
  while (s_.IsOp("~")) {
    const SourcePos pos = s_.Current().pos;
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr right, ParseMath2());
    TF_ASSIGN_OR_RETURN(left, Binary(BinaryOp::kConcat, std::move(left), std::move(right), pos));
  }
  return left;
}

StatusOr<ExprPtr> ExpressionParser::ParseMath2() {
  TF_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
  while (s_.IsOp("*") || s_.IsOp("/") || s_.IsOp("//") || s_.IsOp("%")) {
    const BinaryOp op = s_.IsOp("*")    ? BinaryOp::kMul
                        : s_.IsOp("/")  ? BinaryOp::kDiv
                        : s_.IsOp("//") ? BinaryOp::kFloorDiv
                                        : BinaryOp::kMod;
    const SourcePos pos = s_.Current().pos;
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
    TF_ASSIGN_OR_RETURN(left, Binary(op, std::move(left), std::move(right), pos));
  }
  return left;
}

StatusOr<ExprPtr> ExpressionParser::ParsePow() {
  TF_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(/*with_filter=*/true));
  while (s_.IsOp("**")) {
    const SourcePos pos = s_.Current().pos;
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(/*with_filter=*/true));
    TF_ASSIGN_OR_RETURN(left, Binary(BinaryOp::kPow, std::move(left), std::move(right), pos));
  }
  return left;
}

StatusOr<ExprPtr> ExpressionParser::ParseUnary(bool with_filter) {
  TokenStream::DepthGuard guard(&s_);
  TF_RETURN_IF_ERROR(guard.Check());
  ExprPtr node;
  if (s_.IsOp("-") || s_.IsOp("+")) {
    node = MakeExpr(s_.IsOp("-") ? ExprKind::kNegate : ExprKind::kPlus, s_.Current().pos);
    s_.Advance();
    TF_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(/*with_filter=*/false));
    node->children.push_back(std::move(operand));
  } else {
    TF_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  TF_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    TF_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
  }
  return node;
}

StatusOr<ExprPtr> ExpressionParser::ParsePrimary() {
  const Token& token = s_.Current();
  switch (token.kind) {
    case TokenKind::kName: {
      auto node = MakeExpr(ExprKind::kConst, token.pos);
      const std::string& v = token.value;
      if (v == "true" || v == "True") {
        node->constant = Value::Bool(true);
      } else if (v == "false" || v == "False") {
        node->constant = Value::Bool(false);
      } else if (v == "none" || v == "None") {
        node->constant = Value::None();
      } else {
        node->kind = ExprKind::kName;
        node->name = v;
      }
      s_.Advance();
      return node;
    }
    case TokenKind::kString: {
      auto node = MakeExpr(ExprKind::kConst, token.pos);
      std::string text = token.value;
      s_.Advance();
      while (s_.Current().kind == TokenKind::kString) {  // adjacent literals concatenate
        text += s_.Current().value;
        s_.Advance();
      }
      node->constant = Value::String(std::move(text));
      return node;
    }
    case TokenKind::kInteger:
    case TokenKind::kFloat: {
      auto node = MakeExpr(ExprKind::kConst, token.pos);
      node->constant = token.kind == TokenKind::kInteger ? Value::Int(token.int_value)
                                                         : Value::Float(token.float_value);
      s_.Advance();
      return node;
    }
    case TokenKind::kOperator:
      if (token.value == "(") {
        s_.Advance();
        TF_ASSIGN_OR_RETURN(ExprPtr inner, ParseTuple(/*with_condexpr=*/true, {}, true));
        TF_RETURN_IF_ERROR(s_.ExpectOp(")"));
        return inner;
      }
      if (token.value == "[") return ParseList();
      if (token.value == "{") return ParseDict();
      break;
    default:
      break;
  }
  return s_.Error(token, fmt::format("unexpected {}", Describe(token)));
}

StatusOr<ExprPtr> ExpressionParser::ParseList() {
  auto node = MakeExpr(ExprKind::kList, s_.Current().pos);
  s_.Advance();
  while (!s_.IsOp("]")) {
    if (!node->children.empty()) TF_RETURN_IF_ERROR(s_.ExpectOp(","));
    if (s_.IsOp("]")) break;
    TF_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
    node->children.push_back(std::move(item));
  }
  s_.Advance();
  return node;
}

StatusOr<ExprPtr> ExpressionParser::ParseDict() {
  auto node = MakeExpr(ExprKind::kDict, s_.Current().pos);
  s_.Advance();
  while (!s_.IsOp("}")) {
    if (!node->children.empty()) TF_RETURN_IF_ERROR(s_.ExpectOp(","));
    if (s_.IsOp("}")) break;
    TF_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression(true));
    TF_RETURN_IF_ERROR(s_.ExpectOp(":"));
    TF_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
    node->children.push_back(std::move(key));
    node->children.push_back(std::move(value));
  }
  s_.Advance();
  return node;
}

StatusOr<ExprPtr> ExpressionParser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (s_.IsOp(".")) {
      const SourcePos pos = s_.Current().pos;
      s_.Advance();
      if (s_.Current().kind == TokenKind::kName) {
        auto attr = MakeExpr(ExprKind::kGetattr, pos);
        attr->name = s_.Current().value;
        attr->children.push_back(std::move(node));
        node = std::move(attr);
        s_.Advance();
      } else if (s_.Current().kind == TokenKind::kInteger) {
        auto item = MakeExpr(ExprKind::kGetitem, pos);
        auto index = MakeExpr(ExprKind::kConst, s_.Current().pos);
        index->constant = Value::Int(s_.Current().int_value);
        item->children.push_back(std::move(node));
        item->children.push_back(std::move(index));
        node = std::move(item);
        s_.Advance();
      } else {
        return s_.Unexpected("a name or number after '.'");
      }
    } else if (s_.IsOp("[")) {
      TF_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
    } else if (s_.IsOp("(")) {
      TF_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

StatusOr<ExprPtr> ExpressionParser::ParseSubscript(ExprPtr object) {
  const SourcePos pos = s_.Current().pos;
  s_.Advance();  // [
  std::vector<ExprPtr> keys;
  while (!s_.IsOp("]")) {
    if (!keys.empty()) TF_RETURN_IF_ERROR(s_.ExpectOp(","));
    TF_ASSIGN_OR_RETURN(ExprPtr key, ParseSubscribed());
    keys.push_back(std::move(key));
  }
  s_.Advance();  // ]
  if (keys.empty()) return s_.Error(s_.Previous(), "expected a subscript");
  ExprPtr key;
  if (keys.size() == 1) {
    key = std::move(keys[0]);
  } else {
    key = MakeExpr(ExprKind::kTuple, pos);
    key->children = std::move(keys);
  }
  if (key->kind == ExprKind::kSlice) {
    key->pos = pos;
    key->children.insert(key->children.begin(), std::move(object));
    return key;
  }
  auto node = MakeExpr(ExprKind::kGetitem, pos);
  node->children.push_back(std::move(object));
  node->children.push_back(std::move(key));
  return node;
}

// One subscript: an expression or a slice `start:stop:step` (returned as a kSlice node whose
// children are start, stop, step, to be completed by the caller).
StatusOr<ExprPtr> ExpressionParser::ParseSubscribed() {
  const SourcePos pos = s_.Current().pos;
  std::vector<ExprPtr> parts;
  if (s_.IsOp(":")) {
    s_.Advance();
    parts.push_back(nullptr);
  } else {
    TF_ASSIGN_OR_RETURN(ExprPtr first, ParseExpression(true));
    if (!s_.IsOp(":")) return first;
    s_.Advance();
    parts.push_back(std::move(first));
  }
  if (s_.IsOp(":") || s_.IsOp("]") || s_.IsOp(",")) {
    parts.push_back(nullptr);
  } else {
    TF_ASSIGN_OR_RETURN(ExprPtr stop, ParseExpression(true));
    parts.push_back(std::move(stop));
  }
  if (s_.SkipOp(":") && !s_.IsOp("]") && !s_.IsOp(",")) {
    TF_ASSIGN_OR_RETURN(ExprPtr step, ParseExpression(true));
    parts.push_back(std::move(step));
  } else {
    parts.push_back(nullptr);
  }
  auto slice = MakeExpr(ExprKind::kSlice, pos);
  slice->children = std::move(parts);
  return slice;
}

Status ExpressionParser::ParseCallArgs(std::vector<Arg>* args) {
  TF_RETURN_IF_ERROR(s_.ExpectOp("("));
  bool seen_keyword = false;
  while (!s_.IsOp(")")) {
    if (!args->empty()) {
      TF_RETURN_IF_ERROR(s_.ExpectOp(","));
      if (s_.IsOp(")")) break;
    }
    if (s_.IsOp("*") || s_.IsOp("**"))
      return s_.Error(s_.Current(), "*args and **kwargs calls are not supported");
    Arg arg;
    if (s_.Current().kind == TokenKind::kName && s_.Peek().kind == TokenKind::kOperator &&
        s_.Peek().value == "=") {
      arg.name = s_.Current().value;
      s_.Advance();
      s_.Advance();
      seen_keyword = true;
    } else if (seen_keyword) {
      return s_.Error(s_.Current(), "positional argument follows keyword argument");
    }
    TF_ASSIGN_OR_RETURN(arg.value, ParseExpression(true));
    args->push_back(std::move(arg));
  }
  s_.Advance();  // )
  return absl::OkStatus();
}

StatusOr<ExprPtr> ExpressionParser::ParseCall(ExprPtr callee) {
  auto node = MakeExpr(ExprKind::kCall, s_.Current().pos);
  node->children.push_back(std::move(callee));
  TF_RETURN_IF_ERROR(ParseCallArgs(&node->args));
  return node;
}

StatusOr<ExprPtr> ExpressionParser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (s_.IsOp("|")) {
      s_.Advance();
      TF_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node)));
    } else if (s_.IsName("is")) {
      TF_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
    } else if (s_.IsOp("(")) {
      TF_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

// A filter name with optional arguments; the '|' is already consumed.
StatusOr<ExprPtr> ExpressionParser::ParseFilter(ExprPtr operand) {
  auto node = MakeExpr(ExprKind::kFilter, s_.Current().pos);
  TF_ASSIGN_OR_RETURN(node->name, s_.ExpectName());
  while (s_.IsOp(".")) {
    s_.Advance();
    TF_ASSIGN_OR_RETURN(std::string part, s_.ExpectName());
    node->name = fmt::format("{}.{}", node->name, part);
  }
  node->children.push_back(std::move(operand));
  if (s_.IsOp("(")) TF_RETURN_IF_ERROR(ParseCallArgs(&node->args));
  return node;
}

StatusOr<ExprPtr> ExpressionParser::ParseTest(ExprPtr operand) {
  const SourcePos pos = s_.Current().pos;
  s_.Advance();  // is
  const bool negated = s_.SkipName("not");
  auto node = MakeExpr(ExprKind::kTest, pos);
  TF_ASSIGN_OR_RETURN(node->name, s_.ExpectName());
  while (s_.IsOp(".")) {
    s_.Advance();
    TF_ASSIGN_OR_RETURN(std::string part, s_.ExpectName());
    node->name = fmt::format("{}.{}", node->name, part);
  }
  node->children.push_back(std::move(operand));
  const Token& t = s_.Current();
  if (s_.IsOp("(")) {
    TF_RETURN_IF_ERROR(ParseCallArgs(&node->args));
  } else if ((t.kind == TokenKind::kName || t.kind == TokenKind::kString ||
              t.kind == TokenKind::kInteger || t.kind == TokenKind::kFloat || s_.IsOp("[") ||
              s_.IsOp("{")) &&
             !s_.IsName("else") && !s_.IsName("or") && !s_.IsName("and")) {
    if (s_.IsName("is")) return s_.Error(t, "you cannot chain multiple tests with 'is'");
    // One argument without parentheses: `x is divisibleby 3`, `x is sameas false`.
    Arg arg;
    TF_ASSIGN_OR_RETURN(arg.value, ParsePrimary());
    TF_ASSIGN_OR_RETURN(arg.value, ParsePostfix(std::move(arg.value)));
    node->args.push_back(std::move(arg));
  }
  if (!negated) return node;
  auto inverted = MakeExpr(ExprKind::kNot, pos);
  inverted->children.push_back(std::move(node));
  return inverted;
}

std::vector<Token> tokens_;
size_t index_ = 0;
int depth_ = 0;
int loop_depth_ = 0;

}  // namespace tokenfab::tokenizer::jinja
