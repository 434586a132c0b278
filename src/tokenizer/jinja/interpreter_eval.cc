// The expression half of the Interpreter (interpreter.h): Eval and what it dispatches to.
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/filters.h"
#include "tokenizer/jinja/globals.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/interpreter_internal.h"
#include "tokenizer/jinja/is_tests.h"
#include "tokenizer/jinja/operators.h"
#include "tokenizer/jinja/value_compare.h"

namespace tokenfab::tokenizer::jinja {

StatusOr<Value> Interpreter::Eval(const Expr& expr, Frame& frame) {
  DepthScope depth(&depth_);
  TF_RETURN_IF_ERROR(Step(expr.pos));
  switch (expr.kind) {
    case ExprKind::kConst:
      return expr.constant;
    case ExprKind::kName:
      return EvalName(expr, frame);
    case ExprKind::kAnd:
    case ExprKind::kOr:
    case ExprKind::kCondition:
      return EvalLogic(expr, frame);  // returns an operand's value: nothing new to check
    default:
      break;
  }
  StatusOr<Value> result = EvalOperation(expr, frame);
  if (result.ok()) {
    Status size = Charge(*result);
    if (!size.ok()) result = size;
  }
  if (!result.ok()) return AtPosition(result.status(), expr.pos);
  return result;
}

StatusOr<Value> Interpreter::EvalOperation(const Expr& expr, Frame& frame) {
  switch (expr.kind) {
    case ExprKind::kList:
    case ExprKind::kTuple:
    case ExprKind::kDict:
      return EvalContainer(expr, frame);
    case ExprKind::kGetattr: {
      TF_ASSIGN_OR_RETURN(Value object, Eval(*expr.children[0], frame));
      return GetAttr(object, expr.name);
    }
    case ExprKind::kGetitem: {
      TF_ASSIGN_OR_RETURN(Value object, Eval(*expr.children[0], frame));
      TF_ASSIGN_OR_RETURN(Value key, Eval(*expr.children[1], frame));
      return GetItem(object, key);
    }
    case ExprKind::kSlice:
      return EvalSlice(expr, frame);
    case ExprKind::kCall:
      return EvalCall(expr, frame);
    case ExprKind::kFilter: {
      TF_ASSIGN_OR_RETURN(Value input, Eval(*expr.children[0], frame));
      return EvalFilter(expr, std::move(input), frame);
    }
    case ExprKind::kTest:
      return EvalTest(expr, frame);
    case ExprKind::kNot:
    case ExprKind::kNegate:
    case ExprKind::kPlus:
      return EvalUnary(expr, frame);
    case ExprKind::kBinary: {
      TF_ASSIGN_OR_RETURN(Value left, Eval(*expr.children[0], frame));
      TF_ASSIGN_OR_RETURN(Value right, Eval(*expr.children[1], frame));
      return BinaryOperation(expr.binary_op, left, right, limits_.max_output_bytes);
    }
    case ExprKind::kCompare:
      return EvalCompare(expr, frame);
    default:
      return absl::InternalError("unexpected expression kind");
  }
}

StatusOr<Value> Interpreter::EvalLogic(const Expr& expr, Frame& frame) {
  TF_ASSIGN_OR_RETURN(Value first, Eval(*expr.children[0], frame));
  switch (expr.kind) {
    case ExprKind::kAnd:
      return first.Truthy() ? Eval(*expr.children[1], frame) : first;
    case ExprKind::kOr:
      return first.Truthy() ? first : Eval(*expr.children[1], frame);
    default:  // kCondition: children are test, value, else-value
      if (first.Truthy()) return Eval(*expr.children[1], frame);
      if (expr.children[2]) return Eval(*expr.children[2], frame);
      return Value::Undefined(fmt::format(
          "the inline if-expression on line {} evaluated to false and no else section was defined.",
          expr.pos.line));
  }
}

StatusOr<Value> Interpreter::EvalName(const Expr& expr, Frame& frame) {
  if (const Value* value = frame.Find(expr.name)) return *value;
  if (const Value* global = FindGlobal(expr.name)) return *global;
  return Value::Undefined(fmt::format("'{}' is undefined", expr.name));
}

StatusOr<Value> Interpreter::EvalContainer(const Expr& expr, Frame& frame) {
  if (expr.kind == ExprKind::kDict) {
    std::vector<std::pair<Value, Value>> entries;
    for (size_t i = 0; i + 1 < expr.children.size(); i += 2) {
      TF_ASSIGN_OR_RETURN(Value key, Eval(*expr.children[i], frame));
      if (!IsHashable(key)) {
        return AtPosition(
            absl::InvalidArgumentError(fmt::format("unhashable type: '{}'", key.TypeName())),
            expr.children[i]->pos);
      }
      TF_ASSIGN_OR_RETURN(Value value, Eval(*expr.children[i + 1], frame));
      bool replaced = false;
      for (auto& entry : entries) {
        if (Equals(entry.first, key)) {
          entry.second = value;  // Python keeps the first key object and the last value
          replaced = true;
        }
      }
      if (!replaced) entries.emplace_back(std::move(key), std::move(value));
    }
    return Value::DictFromKeys(std::move(entries));
  }
  std::vector<Value> items;
  items.reserve(expr.children.size());
  for (const ExprPtr& child : expr.children) {
    TF_ASSIGN_OR_RETURN(Value item, Eval(*child, frame));
    items.push_back(std::move(item));
  }
  return expr.kind == ExprKind::kTuple ? Value::Tuple(std::move(items))
                                       : Value::List(std::move(items));
}

StatusOr<Value> Interpreter::EvalSlice(const Expr& expr, Frame& frame) {
  TF_ASSIGN_OR_RETURN(Value object, Eval(*expr.children[0], frame));
  Value parts[3];
  const Value* pointers[3] = {nullptr, nullptr, nullptr};
  for (int i = 0; i < 3; ++i) {
    if (!expr.children[i + 1]) continue;
    TF_ASSIGN_OR_RETURN(parts[i], Eval(*expr.children[i + 1], frame));
    pointers[i] = &parts[i];
  }
  return SliceValue(object, pointers[0], pointers[1], pointers[2]);
}

StatusOr<CallArgs> Interpreter::EvalArgs(const std::vector<Arg>& args, Frame& frame) {
  CallArgs call;
  for (const Arg& arg : args) {
    TF_ASSIGN_OR_RETURN(Value value, Eval(*arg.value, frame));
    if (arg.name.empty()) {
      call.positional.push_back(std::move(value));
    } else {
      for (const auto& existing : call.keyword) {
        if (existing.first == arg.name) {
          return AtPosition(
              absl::InvalidArgumentError(fmt::format("keyword argument repeated: {}", arg.name)),
              arg.value->pos);
        }
      }
      call.keyword.emplace_back(arg.name, std::move(value));
    }
  }
  return call;
}

StatusOr<Value> Interpreter::EvalCall(const Expr& expr, Frame& frame) {
  TF_ASSIGN_OR_RETURN(Value callee, Eval(*expr.children[0], frame));
  if (!callee.is_callable()) {
    if (callee.is_undefined()) return UndefinedError(callee);
    return absl::InvalidArgumentError(
        fmt::format("'{}' object is not callable", callee.TypeName()));
  }
  TF_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr.args, frame));
  return callee.callable().Call(std::move(args), *this);
}

StatusOr<Value> Interpreter::EvalFilter(const Expr& expr, Value input, Frame& frame) {
  TF_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr.args, frame));
  StatusOr<Value> result = ApplyFilter(expr.name, input, args);
  if (result.ok()) {
    Status size = Charge(*result);
    if (!size.ok()) result = size;
  }
  if (!result.ok()) return AtPosition(result.status(), expr.pos);
  return result;
}

StatusOr<Value> Interpreter::ApplyFilter(std::string_view name, const Value& input,
                                         const CallArgs& args) {
  FilterFn fn = FindFilter(name);
  if (fn == nullptr) return absl::InvalidArgumentError(fmt::format("No filter named '{}'.", name));
  return fn(*this, input, args);
}

StatusOr<bool> Interpreter::ApplyTest(std::string_view name, const Value& input,
                                      const CallArgs& args) {
  TestFn fn = FindTest(name);
  if (fn == nullptr) return absl::InvalidArgumentError(fmt::format("No test named '{}'.", name));
  return fn(*this, input, args);
}

StatusOr<Value> Interpreter::EvalTest(const Expr& expr, Frame& frame) {
  TF_ASSIGN_OR_RETURN(Value input, Eval(*expr.children[0], frame));
  TF_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(expr.args, frame));
  TF_ASSIGN_OR_RETURN(bool pass, ApplyTest(expr.name, input, args));
  return Value::Bool(pass);
}

StatusOr<Value> Interpreter::EvalUnary(const Expr& expr, Frame& frame) {
  TF_ASSIGN_OR_RETURN(Value operand, Eval(*expr.children[0], frame));
  if (expr.kind == ExprKind::kNot) return Value::Bool(!operand.Truthy());
  const bool negate = expr.kind == ExprKind::kNegate;
  switch (operand.kind()) {
    case Value::Kind::kBool:
      return Value::Int(negate ? -static_cast<int64_t>(operand.bool_value())
                               : operand.bool_value());
    case Value::Kind::kInt:
      if (negate && operand.int_value() == INT64_MIN) {
        return absl::InvalidArgumentError("integer overflow (beyond 64 bits)");
      }
      return Value::Int(negate ? -operand.int_value() : operand.int_value());
    case Value::Kind::kFloat:
      return Value::Float(negate ? -operand.float_value() : operand.float_value());
    case Value::Kind::kUndefined:
      return UndefinedError(operand);
    default:
      return absl::InvalidArgumentError(fmt::format("bad operand type for unary {}: '{}'",
                                                    negate ? "-" : "+", operand.TypeName()));
  }
}

StatusOr<Value> Interpreter::EvalCompare(const Expr& expr, Frame& frame) {
  TF_ASSIGN_OR_RETURN(Value left, Eval(*expr.children[0], frame));
  for (size_t i = 0; i < expr.compare_ops.size(); ++i) {
    TF_ASSIGN_OR_RETURN(Value right, Eval(*expr.children[i + 1], frame));
    TF_ASSIGN_OR_RETURN(bool holds, CompareOperation(expr.compare_ops[i], left, right));
    if (!holds) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

}  // namespace tokenfab::tokenizer::jinja
