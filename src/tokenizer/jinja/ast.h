// The syntax tree the parser builds and the interpreter walks. A tree is immutable once parsed
// and owned by its Program; many renders may walk it concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/jinja/lexer.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind {
  kConst,      // constant
  kName,       // name
  kList,       // children: items
  kTuple,      // children: items
  kDict,       // children: key0, value0, key1, value1, ...
  kGetattr,    // children[0].name
  kGetitem,    // children[0][children[1]]
  kSlice,      // children[0][children[1]:children[2]:children[3]] (null when omitted)
  kCall,       // children[0](args)
  kFilter,     // children[0] | name(args); children[0] is null inside {% filter %} blocks
  kTest,       // children[0] is name(args)
  kNot,        // not children[0]
  kNegate,     // -children[0]
  kPlus,       // +children[0]
  kBinary,     // children[0] op children[1]
  kAnd,        // children[0] and children[1]
  kOr,         // children[0] or children[1]
  kCompare,    // children[0] ops[0] children[1] ops[1] children[2] ... (chained)
  kCondition,  // children[1] if children[0] else children[2] (children[2] null: undefined)
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow, kConcat };
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

// One argument of a call, filter or test: positional when `name` is empty.
struct Arg {
  std::string name;
  ExprPtr value;
};

struct Expr {
  ExprKind kind = ExprKind::kConst;
  SourcePos pos;
  Value constant;                       // kConst
  std::string name;                     // kName, kGetattr, kFilter, kTest
  BinaryOp binary_op = BinaryOp::kAdd;  // kBinary
  std::vector<CompareOp> compare_ops;   // kCompare
  std::vector<ExprPtr> children;
  std::vector<Arg> args;  // kCall, kFilter, kTest
};

enum class StmtKind {
  kText,         // text
  kOutput,       // {{ expr }}
  kIf,           // conditions[i] -> bodies[i]; else_body
  kFor,          // for targets in expr [if condition] body [else else_body]
  kSet,          // set targets = expr, or set expr.attribute = value (namespace)
  kSetBlock,     // {% set target %}body{% endset %} (filters applied to the captured text)
  kMacro,        // {% macro name(params) %}body{% endmacro %}
  kFilterBlock,  // {% filter f %}body{% endfilter %}
  kBreak,
  kContinue,
};

// A macro parameter: `name` or `name=default`.
struct Param {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct Stmt {
  StmtKind kind = StmtKind::kText;
  SourcePos pos;
  std::string text;  // kText

  ExprPtr expr;       // kOutput, kFor (iterable), kSet (value)
  ExprPtr condition;  // kFor: `if` filter (may be null)

  // kIf: one condition per branch (if, elif...), bodies.size() == conditions.size().
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  Body body;       // kFor, kSetBlock, kMacro, kFilterBlock
  Body else_body;  // kIf, kFor

  // kFor, kSet, kSetBlock: names assigned (several: tuple unpacking); kMacro: the macro's name.
  std::vector<std::string> targets;
  // kSet/kSetBlock into a namespace: `set target_object.attribute = ...`.
  ExprPtr target_object;
  std::string attribute;

  std::vector<Param> params;     // kMacro
  bool uses_varargs = false;     // kMacro: the body reads `varargs` (extra positionals allowed)
  bool uses_kwargs = false;      // kMacro: the body reads `kwargs` (unknown keywords allowed)
  std::vector<ExprPtr> filters;  // kFilterBlock, kSetBlock: kFilter nodes with a null operand
};

struct Program {
  Body body;
};

inline ExprPtr MakeExpr(ExprKind kind, SourcePos pos) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  return e;
}

inline StmtPtr MakeStmt(StmtKind kind, SourcePos pos) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->pos = pos;
  return s;
}

}  // namespace tokenfab::tokenizer::jinja
