#include "tokenizer/jinja/operators.h"

#include <cmath>
#include <limits>
#include <string>

#include "tokenizer/jinja/methods.h"
#include "tokenizer/jinja/unicode.h"
#include "tokenizer/jinja/value_compare.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

// Python's object_type_repr(): "dict object", "str object", "None", ...
std::string ObjectTypeRepr(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_namespace()) return "jinja2.utils.Namespace object";
  return v.TypeName() + " object";
}

Value MissingAttribute(const Value& obj, std::string_view name) {
  return Value::Undefined(fmt::format("'{}' has no attribute '{}'", ObjectTypeRepr(obj), name));
}

Value MissingElement(const Value& obj, const Value& key) {
  return Value::Undefined(fmt::format("{} has no element {}", ObjectTypeRepr(obj), ToRepr(key)));
}

const char* OpSymbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "**";
    case BinaryOp::kConcat:
      return "~";
  }
  return "?";
}

Status Unsupported(BinaryOp op, const Value& a, const Value& b) {
  if (op == BinaryOp::kAdd && a.is_string()) {
    return absl::InvalidArgumentError(
        fmt::format("can only concatenate str (not \"{}\") to str", b.TypeName()));
  }
  if (op == BinaryOp::kAdd && a.is_list()) {
    return absl::InvalidArgumentError(
        fmt::format("can only concatenate list (not \"{}\") to list", b.TypeName()));
  }
  return absl::InvalidArgumentError(fmt::format("unsupported operand type(s) for {}: '{}' and '{}'",
                                                OpSymbol(op), a.TypeName(), b.TypeName()));
}

bool IsIntLike(const Value& v) { return v.is_int() || v.is_bool(); }
int64_t IntOf(const Value& v) { return v.is_bool() ? (v.bool_value() ? 1 : 0) : v.int_value(); }

Status Overflow() { return absl::InvalidArgumentError("integer overflow (beyond 64 bits)"); }

// CPython's float divmod.
void FloatDivMod(double vx, double wx, double* floordiv, double* mod) {
  *mod = std::fmod(vx, wx);
  double div = (vx - *mod) / wx;
  if (*mod != 0) {
    if ((wx < 0) != (*mod < 0)) {
      *mod += wx;
      div -= 1.0;
    }
  } else {
    *mod = std::copysign(0.0, wx);
  }
  if (div != 0) {
    *floordiv = std::floor(div);
    if (div - *floordiv > 0.5) *floordiv += 1.0;
  } else {
    *floordiv = std::copysign(0.0, vx / wx);
  }
}

StatusOr<Value> IntArithmetic(BinaryOp op, int64_t x, int64_t y) {
  int64_t r = 0;
  switch (op) {
    case BinaryOp::kAdd:
      if (__builtin_add_overflow(x, y, &r)) return Overflow();
      return Value::Int(r);
    case BinaryOp::kSub:
      if (__builtin_sub_overflow(x, y, &r)) return Overflow();
      return Value::Int(r);
    case BinaryOp::kMul:
      if (__builtin_mul_overflow(x, y, &r)) return Overflow();
      return Value::Int(r);
    case BinaryOp::kDiv:
      if (y == 0) return absl::InvalidArgumentError("division by zero");
      return Value::Float(static_cast<double>(x) / static_cast<double>(y));
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (y == 0) return absl::InvalidArgumentError("integer division or modulo by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return Overflow();
      int64_t q = x / y;
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        m += y;
        q -= 1;
      }
      return Value::Int(op == BinaryOp::kFloorDiv ? q : m);
    }
    case BinaryOp::kPow: {
      if (y < 0) {
        if (x == 0) return absl::InvalidArgumentError("0.0 cannot be raised to a negative power");
        return Value::Float(std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      int64_t result = 1;
      int64_t base = x;
      int64_t e = y;
      while (e > 0) {
        if (e & 1) {
          if (__builtin_mul_overflow(result, base, &result)) return Overflow();
        }
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) return Overflow();
      }
      return Value::Int(result);
    }
    case BinaryOp::kConcat:
      break;
  }
  return absl::InternalError("bad integer operation");
}

StatusOr<Value> FloatArithmetic(BinaryOp op, double x, double y) {
  switch (op) {
    case BinaryOp::kAdd:
      return Value::Float(x + y);
    case BinaryOp::kSub:
      return Value::Float(x - y);
    case BinaryOp::kMul:
      return Value::Float(x * y);
    case BinaryOp::kDiv:
      if (y == 0) return absl::InvalidArgumentError("float division by zero");
      return Value::Float(x / y);
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (y == 0) return absl::InvalidArgumentError("float floor division or modulo by zero");
      double q = 0;
      double m = 0;
      FloatDivMod(x, y, &q, &m);
      return Value::Float(op == BinaryOp::kFloorDiv ? q : m);
    }
    case BinaryOp::kPow: {
      if (x == 0 && y < 0)
        return absl::InvalidArgumentError("0.0 cannot be raised to a negative power");
      if (x < 0 && y != std::floor(y)) {
        return absl::InvalidArgumentError(
            "a negative number raised to a fractional power is complex");
      }
      return Value::Float(std::pow(x, y));
    }
    case BinaryOp::kConcat:
      break;
  }
  return absl::InternalError("bad float operation");
}

// seq * n for strings and lists.
StatusOr<Value> Repeat(const Value& seq, int64_t n, size_t max_bytes) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const std::string& s = seq.string();
    if (!s.empty() && static_cast<uint64_t>(n) > max_bytes / s.size()) {
      return absl::ResourceExhaustedError(
          fmt::format("string repetition would exceed the {} byte limit", max_bytes));
    }
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value::String(std::move(out));
  }
  const auto& items = seq.array().items;
  const size_t max_items = max_bytes / 16;
  if (!items.empty() && static_cast<uint64_t>(n) > max_items / items.size()) {
    return absl::ResourceExhaustedError("list repetition would exceed the size limit");
  }
  std::vector<Value> out;
  out.reserve(items.size() * static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

// Python slice.indices(len) and the selected positions.
std::vector<size_t> SlicePositions(int64_t len, const Value* start_v, const Value* stop_v,
                                   int64_t step) {
  int64_t lower = step > 0 ? 0 : -1;
  int64_t upper = step > 0 ? len : len - 1;
  auto clamp = [&](const Value* v, int64_t fallback) {
    if (v == nullptr || v->is_none()) return fallback;
    int64_t i = IntOf(*v);
    if (i < 0) {
      i += len;
      if (i < lower) i = lower;
    } else if (i > upper) {
      i = upper;
    }
    return i;
  };
  int64_t start = clamp(start_v, step > 0 ? lower : upper);
  int64_t stop = clamp(stop_v, step > 0 ? upper : lower);
  std::vector<size_t> positions;
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) positions.push_back(static_cast<size_t>(i));
  } else {
    for (int64_t i = start; i > stop; i += step) positions.push_back(static_cast<size_t>(i));
  }
  return positions;
}

}  // namespace

Status UndefinedError(const Value& value) {
  const std::string& hint = value.undefined_hint();
  return absl::InvalidArgumentError(hint.empty() ? "value is undefined" : hint);
}

StatusOr<Value> BinaryOperation(BinaryOp op, const Value& a, const Value& b,
                                size_t max_string_bytes) {
  if (op == BinaryOp::kConcat) {
    std::string left = ToStr(a);
    std::string right = ToStr(b);
    if (left.size() + right.size() > max_string_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("string would exceed the {} byte limit", max_string_bytes));
    }
    return Value::String(left + right);
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (a.is_number() && b.is_number()) {
    if (IsIntLike(a) && IsIntLike(b)) return IntArithmetic(op, IntOf(a), IntOf(b));
    return FloatArithmetic(op, a.AsDouble(), b.AsDouble());
  }
  if (op == BinaryOp::kAdd) {
    if (a.is_string() && b.is_string()) {
      if (a.string().size() + b.string().size() > max_string_bytes) {
        return absl::ResourceExhaustedError(
            fmt::format("string would exceed the {} byte limit", max_string_bytes));
      }
      return Value::String(a.string() + b.string());
    }
    if (a.is_array() && b.is_array() && a.is_tuple() == b.is_tuple()) {
      std::vector<Value> items = a.array().items;
      if ((items.size() + b.array().items.size()) * 16 > max_string_bytes) {
        return absl::ResourceExhaustedError("list would exceed the size limit");
      }
      items.insert(items.end(), b.array().items.begin(), b.array().items.end());
      return a.is_tuple() ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
    }
  }
  if (op == BinaryOp::kMul) {
    if ((a.is_string() || a.is_array()) && IsIntLike(b))
      return Repeat(a, IntOf(b), max_string_bytes);
    if ((b.is_string() || b.is_array()) && IsIntLike(a))
      return Repeat(b, IntOf(a), max_string_bytes);
  }
  if (op == BinaryOp::kMod && a.is_string()) {
    return absl::InvalidArgumentError(
        "printf-style string formatting ('...' % args) is not supported");
  }
  return Unsupported(op, a, b);
}

StatusOr<bool> CompareOperation(CompareOp op, const Value& a, const Value& b) {
  switch (op) {
    case CompareOp::kEq:
      return Equals(a, b);
    case CompareOp::kNe:
      return !Equals(a, b);
    case CompareOp::kIn:
      return Contains(b, a);
    case CompareOp::kNotIn: {
      TF_ASSIGN_OR_RETURN(bool in, Contains(b, a));
      return !in;
    }
    case CompareOp::kLt: {
      TF_ASSIGN_OR_RETURN(int c, Compare(a, b, "<"));
      return c < 0;
    }
    case CompareOp::kLe: {
      TF_ASSIGN_OR_RETURN(int c, Compare(a, b, "<="));
      return c <= 0;
    }
    case CompareOp::kGt: {
      TF_ASSIGN_OR_RETURN(int c, Compare(a, b, ">"));
      return c > 0;
    }
    case CompareOp::kGe: {
      TF_ASSIGN_OR_RETURN(int c, Compare(a, b, ">="));
      return c >= 0;
    }
  }
  return false;
}

StatusOr<bool> Contains(const Value& container, const Value& needle) {
  switch (container.kind()) {
    case Value::Kind::kString:
      if (!needle.is_string()) {
        return absl::InvalidArgumentError(fmt::format(
            "'in <string>' requires string as left operand, not {}", needle.TypeName()));
      }
      return container.string().find(needle.string()) != std::string::npos;
    case Value::Kind::kArray:
      for (const Value& item : container.array().items) {
        if (Equals(item, needle)) return true;
      }
      return false;
    case Value::Kind::kObject:
      if (!IsHashable(needle)) {
        return absl::InvalidArgumentError(fmt::format("unhashable type: '{}'", needle.TypeName()));
      }
      return container.object().Find(needle) != nullptr;
    case Value::Kind::kUndefined:
      return false;
    default:
      return absl::InvalidArgumentError(
          fmt::format("argument of type '{}' is not iterable", container.TypeName()));
  }
}

StatusOr<Value> GetAttr(const Value& obj, std::string_view name) {
  if (obj.is_undefined()) return UndefinedError(obj);
  if (!name.empty() && name[0] != '_') {
    if (std::optional<Value> method = LookupMethod(obj, name)) return *method;
  }
  if (obj.is_object()) {
    if (const Value* v = obj.object().Find(name)) return *v;
  } else if (obj.is_namespace()) {
    if (const Value* v = obj.ns()->Find(name)) return *v;
  }
  return MissingAttribute(obj, name);
}

StatusOr<Value> GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return UndefinedError(obj);
  if (obj.is_object() && IsHashable(key)) {
    if (const Value* v = obj.object().Find(key)) return *v;
  }
  if ((obj.is_array() || obj.is_string()) && IsIntLike(key)) {
    const int64_t len = obj.is_array() ? static_cast<int64_t>(obj.array().items.size())
                                       : static_cast<int64_t>(CodePointCount(obj.string()));
    int64_t i = IntOf(key);
    if (i < 0) i += len;
    if (i < 0 || i >= len) return MissingElement(obj, key);
    if (obj.is_array()) return obj.array().items[static_cast<size_t>(i)];
    const std::string& s = obj.string();
    size_t pos = 0;
    for (int64_t k = 0; k < i; ++k) DecodeUtf8(s, &pos);
    const size_t start = pos;
    DecodeUtf8(s, &pos);
    return Value::String(s.substr(start, pos - start));
  }
  if (key.is_string()) return GetAttr(obj, key.string());
  return MissingElement(obj, key);
}

StatusOr<Value> SliceValue(const Value& obj, const Value* start, const Value* stop,
                           const Value* step) {
  if (obj.is_undefined()) return UndefinedError(obj);
  auto valid = [](const Value* v) { return v == nullptr || v->is_none() || IsIntLike(*v); };
  if (!(obj.is_array() || obj.is_string()) || !valid(start) || !valid(stop) || !valid(step)) {
    return Value::Undefined(fmt::format("{} has no element slice", ObjectTypeRepr(obj)));
  }
  const int64_t step_value = step == nullptr || step->is_none() ? 1 : IntOf(*step);
  if (step_value == 0) return absl::InvalidArgumentError("slice step cannot be zero");
  if (obj.is_array()) {
    const auto& items = obj.array().items;
    std::vector<Value> out;
    for (size_t i : SlicePositions(static_cast<int64_t>(items.size()), start, stop, step_value)) {
      out.push_back(items[i]);
    }
    return obj.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
  }
  std::vector<char32_t> cps = ToCodePoints(obj.string());
  std::string out;
  for (size_t i : SlicePositions(static_cast<int64_t>(cps.size()), start, stop, step_value)) {
    AppendUtf8(cps[i], &out);
  }
  return Value::String(std::move(out));
}

StatusOr<std::vector<Value>> Iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kArray:
      return value.array().items;
    case Value::Kind::kString: {
      std::vector<Value> out;
      const std::string& s = value.string();
      if (CodePointCount(s) > kMaxIterationItems) {
        return absl::ResourceExhaustedError(
            fmt::format("iterating a string of more than {} characters", kMaxIterationItems));
      }
      size_t pos = 0;
      while (pos < s.size()) {
        size_t start = pos;
        DecodeUtf8(s, &pos);
        out.push_back(Value::String(s.substr(start, pos - start)));
      }
      return out;
    }
    case Value::Kind::kObject: {
      std::vector<Value> out;
      for (const auto& entry : value.object().entries) out.push_back(entry.first);
      return out;
    }
    case Value::Kind::kUndefined:
      return std::vector<Value>();
    default:
      return absl::InvalidArgumentError(
          fmt::format("'{}' object is not iterable", value.TypeName()));
  }
}

StatusOr<int64_t> Length(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kString:
      return static_cast<int64_t>(CodePointCount(value.string()));
    case Value::Kind::kArray:
      return static_cast<int64_t>(value.array().items.size());
    case Value::Kind::kObject:
      return static_cast<int64_t>(value.object().entries.size());
    case Value::Kind::kUndefined:
      return 0;
    default:
      return absl::InvalidArgumentError(
          fmt::format("object of type '{}' has no len()", value.TypeName()));
  }
}

}  // namespace tokenfab::tokenizer::jinja
