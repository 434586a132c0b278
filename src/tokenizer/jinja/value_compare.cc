#include "tokenizer/jinja/value_compare.h"

#include <algorithm>

#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

bool ObjectsEqual(const Object& a, const Object& b) {
  if (a.entries.size() != b.entries.size()) return false;
  for (const auto& [key, value] : a.entries) {
    const Value* other = b.Find(key);
    if (other == nullptr || !Equals(value, *other)) return false;
  }
  return true;
}

}  // namespace

bool Equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() == b.AsDouble();
    auto as_int = [](const Value& v) {
      return v.is_bool() ? static_cast<int64_t>(v.bool_value()) : v.int_value();
    };
    return as_int(a) == as_int(b);
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.string() == b.string();
    case Value::Kind::kArray: {
      const Array& x = a.array();
      const Array& y = b.array();
      if (x.is_tuple != y.is_tuple || x.items.size() != y.items.size()) return false;
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (!Equals(x.items[i], y.items[i])) return false;
      }
      return true;
    }
    case Value::Kind::kObject:
      return ObjectsEqual(a.object(), b.object());
    default:
      return a.SameAs(b);
  }
}

StatusOr<int> Compare(const Value& a, const Value& b, std::string_view op) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      double x = a.AsDouble();
      double y = b.AsDouble();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    int64_t x = a.is_bool() ? a.bool_value() : a.int_value();
    int64_t y = b.is_bool() ? b.bool_value() : b.int_value();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.string().compare(b.string());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_array() && b.is_array() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.array().items;
    const auto& y = b.array().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (Equals(x[i], y[i])) continue;
      return Compare(x[i], y[i], op);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    return absl::InvalidArgumentError(u.undefined_hint().empty() ? "value is undefined"
                                                                 : u.undefined_hint());
  }
  return absl::InvalidArgumentError(fmt::format(
      "'{}' not supported between instances of '{}' and '{}'", op, a.TypeName(), b.TypeName()));
}

bool IsHashable(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kArray:
      if (!value.is_tuple()) return false;
      return std::all_of(value.array().items.begin(), value.array().items.end(), IsHashable);
    case Value::Kind::kObject:
      return false;
    default:
      return true;
  }
}

}  // namespace tokenfab::tokenizer::jinja
