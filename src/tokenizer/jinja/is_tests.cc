#include "tokenizer/jinja/is_tests.h"

#include "tokenizer/jinja/filters.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/methods.h"
#include "tokenizer/jinja/operators.h"
#include "tokenizer/jinja/value_compare.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

// Tests without arguments: `x is none`.
template <bool (*kPredicate)(const Value&)>
StatusOr<bool> Unary(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("test", args, {}));
  return kPredicate(input);
}

bool IsDefined(const Value& v) { return !v.is_undefined(); }
bool IsUndefined(const Value& v) { return v.is_undefined(); }
bool IsNone(const Value& v) { return v.is_none(); }
bool IsTrue(const Value& v) { return v.is_bool() && v.bool_value(); }
bool IsFalse(const Value& v) { return v.is_bool() && !v.bool_value(); }
bool IsBoolean(const Value& v) { return v.is_bool(); }
bool IsInteger(const Value& v) { return v.is_int(); }
bool IsFloat(const Value& v) { return v.is_float(); }
bool IsNumber(const Value& v) { return v.is_number(); }
bool IsString(const Value& v) { return v.is_string(); }
bool IsMapping(const Value& v) { return v.is_object(); }
bool IsEscaped(const Value&) { return false; }
// Python: iter(x) works for str, list, tuple, dict and Jinja's Undefined.
bool IsIterable(const Value& v) {
  return v.is_string() || v.is_array() || v.is_object() || v.is_undefined();
}
// Python: len(x) and x.__getitem__ exist (Undefined has both).
bool IsSequence(const Value& v) { return IsIterable(v); }
// Python's callable(); Jinja's Undefined defines __call__.
bool IsCallable(const Value& v) { return v.is_callable() || v.is_undefined(); }

// Tests with one argument: `x is divisibleby 3`, `x is eq y`.
StatusOr<Value> OneArg(std::string_view name, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(name, args, {"other"}));
  if (bound.Get(0) == nullptr) {
    return absl::InvalidArgumentError(fmt::format("test '{}' takes one argument", name));
  }
  return *bound.Get(0);
}

template <CompareOp kOp>
StatusOr<bool> CompareTest(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(Value other, OneArg("compare", args));
  return CompareOperation(kOp, input, other);
}

StatusOr<bool> SameAs(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(Value other, OneArg("sameas", args));
  return input.SameAs(other);
}

StatusOr<bool> DivisibleBy(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(Value num, OneArg("divisibleby", args));
  TF_ASSIGN_OR_RETURN(Value rest,
                      BinaryOperation(BinaryOp::kMod, input, num, in.limits().max_output_bytes));
  return Equals(rest, Value::Int(0));
}

template <int kRemainder>
StatusOr<bool> Parity(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("odd/even", args, {}));
  TF_ASSIGN_OR_RETURN(Value rest, BinaryOperation(BinaryOp::kMod, input, Value::Int(2),
                                                  in.limits().max_output_bytes));
  return Equals(rest, Value::Int(kRemainder));
}

template <bool kUpper>
StatusOr<bool> CaseTest(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("lower/upper", args, {}));
  TF_ASSIGN_OR_RETURN(std::string s, ToStrBounded(input, in.limits().max_output_bytes));
  std::optional<Value> method =
      LookupMethod(Value::String(std::move(s)), kUpper ? "isupper" : "islower");
  TF_ASSIGN_OR_RETURN(Value result, method->callable().Call(CallArgs(), in));
  return result.bool_value();
}

StatusOr<bool> In(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(Value seq, OneArg("in", args));
  return Contains(seq, input);
}

StatusOr<bool> IsFilter(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("filter", args, {}));
  return input.is_string() && FindFilter(input.string()) != nullptr;
}

StatusOr<bool> IsTest(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("test", args, {}));
  return input.is_string() && FindTest(input.string()) != nullptr;
}

struct TestEntry {
  std::string_view name;
  TestFn fn;
};

constexpr TestEntry kTests[] = {
    {"!=", CompareTest<CompareOp::kNe>},
    {"<", CompareTest<CompareOp::kLt>},
    {"<=", CompareTest<CompareOp::kLe>},
    {"==", CompareTest<CompareOp::kEq>},
    {">", CompareTest<CompareOp::kGt>},
    {">=", CompareTest<CompareOp::kGe>},
    {"boolean", Unary<IsBoolean>},
    {"callable", Unary<IsCallable>},
    {"defined", Unary<IsDefined>},
    {"divisibleby", DivisibleBy},
    {"eq", CompareTest<CompareOp::kEq>},
    {"equalto", CompareTest<CompareOp::kEq>},
    {"escaped", Unary<IsEscaped>},
    {"even", Parity<0>},
    {"false", Unary<IsFalse>},
    {"filter", IsFilter},
    {"float", Unary<IsFloat>},
    {"ge", CompareTest<CompareOp::kGe>},
    {"greaterthan", CompareTest<CompareOp::kGt>},
    {"gt", CompareTest<CompareOp::kGt>},
    {"in", In},
    {"integer", Unary<IsInteger>},
    {"iterable", Unary<IsIterable>},
    {"le", CompareTest<CompareOp::kLe>},
    {"lessthan", CompareTest<CompareOp::kLt>},
    {"lower", CaseTest<false>},
    {"lt", CompareTest<CompareOp::kLt>},
    {"mapping", Unary<IsMapping>},
    {"ne", CompareTest<CompareOp::kNe>},
    {"none", Unary<IsNone>},
    {"number", Unary<IsNumber>},
    {"odd", Parity<1>},
    {"sameas", SameAs},
    {"sequence", Unary<IsSequence>},
    {"string", Unary<IsString>},
    {"test", IsTest},
    {"true", Unary<IsTrue>},
    {"undefined", Unary<IsUndefined>},
    {"upper", CaseTest<true>},
};

}  // namespace

TestFn FindTest(std::string_view name) {
  for (const TestEntry& entry : kTests) {
    if (entry.name == name) return entry.fn;
  }
  return nullptr;
}

}  // namespace tokenfab::tokenizer::jinja
