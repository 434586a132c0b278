#include "tokenizer/jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "tokenizer/jinja/expression_parser.h"
#include "tokenizer/jinja/token_stream.h"

namespace tokenfab::tokenizer::jinja {
namespace {

bool ReadsName(const Expr* expr, std::string_view name);

bool ReadsName(const Body& body, std::string_view name) {
  for (const StmtPtr& stmt : body) {
    if (ReadsName(stmt->expr.get(), name) || ReadsName(stmt->condition.get(), name) ||
        ReadsName(stmt->target_object.get(), name) || ReadsName(stmt->body, name) ||
        ReadsName(stmt->else_body, name)) {
      return true;
    }
    for (const ExprPtr& c : stmt->conditions) {
      if (ReadsName(c.get(), name)) return true;
    }
    for (const Body& b : stmt->bodies) {
      if (ReadsName(b, name)) return true;
    }
    for (const ExprPtr& f : stmt->filters) {
      if (ReadsName(f.get(), name)) return true;
    }
    for (const Param& p : stmt->params) {
      if (ReadsName(p.default_value.get(), name)) return true;
    }
  }
  return false;
}

bool ReadsName(const Expr* expr, std::string_view name) {
  if (expr == nullptr) return false;
  if (expr->kind == ExprKind::kName && expr->name == name) return true;
  for (const ExprPtr& child : expr->children) {
    if (ReadsName(child.get(), name)) return true;
  }
  for (const Arg& arg : expr->args) {
    if (ReadsName(arg.value.get(), name)) return true;
  }
  return false;
}

// The statement level: template text, {{ }} and {% %} tags; expressions go to ExpressionParser.
class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : s_(std::move(tokens)), expr_(s_) {}

  StatusOr<std::unique_ptr<Program>> Run() {
    auto program = std::make_unique<Program>();
    std::string end_tag;
    TF_RETURN_IF_ERROR(ParseBody({}, "", &program->body, &end_tag));
    return program;
  }

 private:
  // Parses statements until a block tag whose name is in `end_tags` (consumed up to and including
  // the name; the caller parses the rest of that tag). `block` names the innermost open block for
  // error messages.
  Status ParseBody(std::initializer_list<std::string_view> end_tags, std::string_view block,
                   Body* body, std::string* end_tag) {
    TokenStream::DepthGuard guard(&s_);
    TF_RETURN_IF_ERROR(guard.Check());
    while (true) {
      const Token& token = s_.Current();
      switch (token.kind) {
        case TokenKind::kText: {
          auto stmt = MakeStmt(StmtKind::kText, token.pos);
          stmt->text = token.value;
          body->push_back(std::move(stmt));
          s_.Advance();
          break;
        }
        case TokenKind::kVariableBegin: {
          auto stmt = MakeStmt(StmtKind::kOutput, token.pos);
          s_.Advance();
          TF_ASSIGN_OR_RETURN(stmt->expr, expr_.ParseTuple(/*with_condexpr=*/true, {}));
          if (s_.Current().kind != TokenKind::kVariableEnd)
            return s_.Unexpected("end of print statement '}}'");
          s_.Advance();
          body->push_back(std::move(stmt));
          break;
        }
        case TokenKind::kBlockBegin: {
          s_.Advance();
          if (s_.Current().kind != TokenKind::kName) return s_.Unexpected("a statement name");
          const std::string& name = s_.Current().value;
          if (std::find(end_tags.begin(), end_tags.end(), name) != end_tags.end()) {
            *end_tag = name;
            s_.Advance();
            return absl::OkStatus();
          }
          TF_ASSIGN_OR_RETURN(StmtPtr stmt, ParseStatement(block));
          if (stmt) body->push_back(std::move(stmt));
          break;
        }
        case TokenKind::kEnd: {
          if (end_tags.size() == 0) return absl::OkStatus();
          std::vector<std::string> quoted;
          for (std::string_view t : end_tags) quoted.push_back(fmt::format("'{}'", t));
          return s_.Error(token,
                          fmt::format("unexpected end of template: looking for {} to close '{}'",
                                      absl::StrJoin(quoted, " or "), block));
        }
        default:
          return s_.Error(token, fmt::format("unexpected {}", Describe(token)));
      }
    }
  }

  StatusOr<StmtPtr> ParseStatement(std::string_view enclosing) {
    const Token& token = s_.Current();
    const std::string name = token.value;
    if (name == "if") return ParseIf();
    if (name == "for") return ParseFor();
    if (name == "set") return ParseSet();
    if (name == "macro") return ParseMacro();
    if (name == "filter") return ParseFilterBlock();
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) return s_.Error(token, fmt::format("'{}' outside of a for loop", name));
      auto stmt = MakeStmt(name == "break" ? StmtKind::kBreak : StmtKind::kContinue, token.pos);
      s_.Advance();
      TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
      return stmt;
    }
    if (name == "generation") return ParseGeneration();
    static constexpr std::string_view kUnsupported[] = {
        "include", "import", "from", "extends", "block", "call", "with", "autoescape", "do"};
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), name) !=
        std::end(kUnsupported)) {
      return s_.Error(token, fmt::format("the '{}' tag is not supported in chat templates", name));
    }
    if (!enclosing.empty()) {
      return s_.Error(token, fmt::format("unknown tag '{}' (the innermost open block is '{}')",
                                         name, enclosing));
    }
    return s_.Error(token, fmt::format("unknown tag '{}'", name));
  }

  StatusOr<StmtPtr> ParseIf() {
    auto stmt = MakeStmt(StmtKind::kIf, s_.Current().pos);
    s_.Advance();  // if / elif
    while (true) {
      TF_ASSIGN_OR_RETURN(ExprPtr condition, expr_.ParseTuple(/*with_condexpr=*/false, {}));
      TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
      Body body;
      std::string end;
      TF_RETURN_IF_ERROR(ParseBody({"elif", "else", "endif"}, "if", &body, &end));
      stmt->conditions.push_back(std::move(condition));
      stmt->bodies.push_back(std::move(body));
      if (end == "elif") continue;
      if (end == "else") {
        TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
        TF_RETURN_IF_ERROR(ParseBody({"endif"}, "if", &stmt->else_body, &end));
      }
      TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
      return stmt;
    }
  }

  // Assignment targets: `a`, `a, b`, `(a, b)`.
  Status ParseTargets(std::vector<std::string>* targets) {
    const bool parenthesized = s_.SkipOp("(");
    while (true) {
      TF_ASSIGN_OR_RETURN(std::string name, s_.ExpectName());
      if (name == "true" || name == "false" || name == "none" || name == "True" ||
          name == "False" || name == "None") {
        return s_.Error(s_.Previous(), fmt::format("cannot assign to '{}'", name));
      }
      targets->push_back(std::move(name));
      if (!s_.SkipOp(",")) break;
      if (parenthesized && s_.IsOp(")")) break;
      if (!parenthesized &&
          (s_.IsName("in") || s_.IsOp("=") || s_.Current().kind == TokenKind::kBlockEnd))
        break;
    }
    if (parenthesized) TF_RETURN_IF_ERROR(s_.ExpectOp(")"));
    return absl::OkStatus();
  }

  StatusOr<StmtPtr> ParseFor() {
    auto stmt = MakeStmt(StmtKind::kFor, s_.Current().pos);
    s_.Advance();
    TF_RETURN_IF_ERROR(ParseTargets(&stmt->targets));
    if (!s_.SkipName("in")) return s_.Unexpected("'in'");
    TF_ASSIGN_OR_RETURN(stmt->expr, expr_.ParseTuple(/*with_condexpr=*/false, {"recursive"}));
    if (s_.SkipName("if")) {
      TF_ASSIGN_OR_RETURN(stmt->condition, expr_.ParseExpression(/*with_condexpr=*/true));
    }
    if (s_.IsName("recursive"))
      return s_.Error(s_.Current(), "recursive for loops are not supported");
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    ++loop_depth_;
    std::string end;
    Status status = ParseBody({"endfor", "else"}, "for", &stmt->body, &end);
    --loop_depth_;
    TF_RETURN_IF_ERROR(status);
    if (end == "else") {
      TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
      TF_RETURN_IF_ERROR(ParseBody({"endfor"}, "for", &stmt->else_body, &end));
    }
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    return stmt;
  }

  StatusOr<StmtPtr> ParseSet() {
    const SourcePos pos = s_.Current().pos;
    s_.Advance();
    auto stmt = MakeStmt(StmtKind::kSet, pos);
    if (s_.Current().kind == TokenKind::kName && s_.Peek().kind == TokenKind::kOperator &&
        s_.Peek().value == ".") {
      // set ns.attr = value
      stmt->target_object = MakeExpr(ExprKind::kName, s_.Current().pos);
      stmt->target_object->name = s_.Current().value;
      s_.Advance();
      s_.Advance();
      TF_ASSIGN_OR_RETURN(stmt->attribute, s_.ExpectName());
    } else {
      TF_RETURN_IF_ERROR(ParseTargets(&stmt->targets));
    }
    if (s_.SkipOp("=")) {
      TF_ASSIGN_OR_RETURN(stmt->expr, expr_.ParseTuple(/*with_condexpr=*/true, {}));
      TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
      return stmt;
    }
    // Block set: {% set x %}...{% endset %}, optionally {% set x | filter %}.
    stmt->kind = StmtKind::kSetBlock;
    if (stmt->targets.size() > 1)
      return s_.Error(s_.Current(), "a block set assigns a single name");
    while (s_.SkipOp("|")) {
      TF_ASSIGN_OR_RETURN(ExprPtr filter, expr_.ParseFilter(nullptr));
      stmt->filters.push_back(std::move(filter));
    }
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    std::string end;
    TF_RETURN_IF_ERROR(ParseBody({"endset"}, "set", &stmt->body, &end));
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    return stmt;
  }

  StatusOr<StmtPtr> ParseMacro() {
    auto stmt = MakeStmt(StmtKind::kMacro, s_.Current().pos);
    s_.Advance();
    TF_ASSIGN_OR_RETURN(std::string name, s_.ExpectName());
    stmt->targets.push_back(std::move(name));
    TF_RETURN_IF_ERROR(s_.ExpectOp("("));
    while (!s_.IsOp(")")) {
      if (!stmt->params.empty()) TF_RETURN_IF_ERROR(s_.ExpectOp(","));
      if (s_.IsOp(")")) break;
      Param param;
      TF_ASSIGN_OR_RETURN(param.name, s_.ExpectName());
      if (s_.SkipOp("=")) {
        TF_ASSIGN_OR_RETURN(param.default_value, expr_.ParseExpression(/*with_condexpr=*/true));
      } else if (!stmt->params.empty() && stmt->params.back().default_value) {
        return s_.Error(s_.Previous(), "non-default argument follows default argument");
      }
      stmt->params.push_back(std::move(param));
    }
    s_.Advance();  // )
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    const int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;  // break/continue do not cross a macro boundary
    std::string end;
    Status status = ParseBody({"endmacro"}, "macro", &stmt->body, &end);
    loop_depth_ = saved_loop_depth;
    TF_RETURN_IF_ERROR(status);
    if (s_.Current().kind == TokenKind::kName) s_.Advance();  // {% endmacro name %}
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    stmt->uses_varargs = ReadsName(stmt->body, "varargs");
    stmt->uses_kwargs = ReadsName(stmt->body, "kwargs");
    return stmt;
  }

  StatusOr<StmtPtr> ParseFilterBlock() {
    auto stmt = MakeStmt(StmtKind::kFilterBlock, s_.Current().pos);
    s_.Advance();
    do {
      TF_ASSIGN_OR_RETURN(ExprPtr filter, expr_.ParseFilter(nullptr));
      stmt->filters.push_back(std::move(filter));
    } while (s_.SkipOp("|"));
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    std::string end;
    TF_RETURN_IF_ERROR(ParseBody({"endfilter"}, "filter", &stmt->body, &end));
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    return stmt;
  }

  // Hugging Face's {% generation %}...{% endgeneration %} marks assistant text for training
  // masks; for rendering it is its body. Represented as an always-true if.
  StatusOr<StmtPtr> ParseGeneration() {
    auto stmt = MakeStmt(StmtKind::kIf, s_.Current().pos);
    s_.Advance();
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    auto condition = MakeExpr(ExprKind::kConst, stmt->pos);
    condition->constant = Value::Bool(true);
    Body body;
    std::string end;
    TF_RETURN_IF_ERROR(ParseBody({"endgeneration"}, "generation", &body, &end));
    TF_RETURN_IF_ERROR(s_.ExpectBlockEnd());
    stmt->conditions.push_back(std::move(condition));
    stmt->bodies.push_back(std::move(body));
    return stmt;
  }

  TokenStream s_;
  ExpressionParser expr_;
  int loop_depth_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<Program>> ParseTemplate(std::string_view source) {
  TF_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source));
  Parser parser(std::move(tokens));
  return parser.Run();
}

}  // namespace tokenfab::tokenizer::jinja
