#include "tokenizer/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "tokenfab/base/check.h"
#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/unicode.h"

namespace tokenfab::tokenizer::jinja {
namespace {

int ItemsDepth(const std::vector<Value>& items) {
  int depth = 0;
  for (const Value& v : items) depth = std::max(depth, v.Depth());
  return depth + 1;
}

void AppendStringRepr(const std::string& s, std::string* out) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out->push_back(quote);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = DecodeUtf8(s, &pos);
    char buf[16];
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out->append("\\n");
    } else if (cp == '\r') {
      out->append("\\r");
    } else if (cp == '\t') {
      out->append("\\t");
    } else if (IsPrintable(cp)) {
      out->append(s, start, pos - start);
    } else if (cp >= 0xDC80 && cp <= 0xDCFF && pos - start == 1) {
      std::snprintf(buf, sizeof(buf), "\\udc%02x", static_cast<unsigned>(cp & 0xFF));
      out->append(buf);
    } else if (cp < 0x100) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
      out->append(buf);
    } else if (cp < 0x10000) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      out->append(buf);
    } else {
      std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
      out->append(buf);
    }
  }
  out->push_back(quote);
}

// Appenders stop early once `out` passes `max` bytes (the caller checks the size).
void AppendRepr(const Value& value, size_t max, std::string* out);

void AppendItems(const Array& array, size_t max, std::string* out) {
  for (size_t i = 0; i < array.items.size() && out->size() <= max; ++i) {
    if (i > 0) out->append(", ");
    AppendRepr(array.items[i], max, out);
  }
}

void AppendObject(const Object& object, size_t max, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < object.entries.size() && out->size() <= max; ++i) {
    if (i > 0) out->append(", ");
    AppendRepr(object.entries[i].first, max, out);
    out->append(": ");
    AppendRepr(object.entries[i].second, max, out);
  }
  out->push_back('}');
}

void AppendRepr(const Value& value, size_t max, std::string* out) {
  if (out->size() > max) return;
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      out->append("Undefined");
      return;
    case Value::Kind::kString:
      AppendStringRepr(value.string(), out);
      return;
    case Value::Kind::kArray: {
      const Array& array = value.array();
      out->push_back(array.is_tuple ? '(' : '[');
      AppendItems(array, max, out);
      if (array.is_tuple && array.items.size() == 1) out->push_back(',');
      out->push_back(array.is_tuple ? ')' : ']');
      return;
    }
    case Value::Kind::kObject:
      AppendObject(value.object(), max, out);
      return;
    case Value::Kind::kNamespace:
      out->append("<Namespace ");
      AppendObject(value.ns()->attributes(), max, out);
      out->push_back('>');
      return;
    case Value::Kind::kCallable:
      out->append("<function ");
      out->append(value.callable().name());
      out->push_back('>');
      return;
    default:
      out->append(ToStr(value));
      return;
  }
}

bool ObjectsEqual(const Object& a, const Object& b) {
  if (a.entries.size() != b.entries.size()) return false;
  for (const auto& [key, value] : a.entries) {
    const Value* other = b.Find(key);
    if (other == nullptr || !Equals(value, *other)) return false;
  }
  return true;
}

}  // namespace

const Value* Object::Find(std::string_view key) const {
  for (const auto& entry : entries) {
    if (entry.first.is_string() && entry.first.string() == key) return &entry.second;
  }
  return nullptr;
}

const Value* Object::Find(const Value& key) const {
  if (key.is_string()) return Find(std::string_view(key.string()));
  for (const auto& entry : entries) {
    if (Equals(entry.first, key)) return &entry.second;
  }
  return nullptr;
}

Value Value::Undefined(std::string hint) {
  Value v;
  if (!hint.empty()) {
    v.data_ = UndefinedData{std::make_shared<const std::string>(std::move(hint))};
  }
  return v;
}

Value Value::None() {
  Value v;
  v.data_ = NoneData{};
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.data_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.data_ = i;
  return v;
}

Value Value::Float(double f) {
  Value v;
  v.data_ = f;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.data_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  auto array = std::make_shared<Array>();
  array->depth = ItemsDepth(items);
  array->items = std::move(items);
  v.data_ = ArrayPtr(std::move(array));
  return v;
}

Value Value::Tuple(std::vector<Value> items) {
  Value v;
  auto array = std::make_shared<Array>();
  array->depth = ItemsDepth(items);
  array->items = std::move(items);
  array->is_tuple = true;
  v.data_ = ArrayPtr(std::move(array));
  return v;
}

Value Value::Dict(std::vector<std::pair<std::string, Value>> entries) {
  std::vector<std::pair<Value, Value>> keyed;
  keyed.reserve(entries.size());
  for (auto& [key, value] : entries)
    keyed.emplace_back(Value::String(std::move(key)), std::move(value));
  return DictFromKeys(std::move(keyed));
}

Value Value::DictFromKeys(std::vector<std::pair<Value, Value>> entries) {
  Value v;
  auto object = std::make_shared<Object>();
  int depth = 0;
  for (const auto& entry : entries)
    depth = std::max({depth, entry.first.Depth(), entry.second.Depth()});
  object->depth = depth + 1;
  object->entries = std::move(entries);
  v.data_ = ObjectPtr(std::move(object));
  return v;
}

Value Value::FromNamespace(std::shared_ptr<Namespace> ns) {
  Value v;
  v.data_ = std::move(ns);
  return v;
}

Value Value::FromCallable(std::shared_ptr<const Callable> fn) {
  Value v;
  v.data_ = std::move(fn);
  return v;
}

const std::string& Value::undefined_hint() const {
  static const std::string* const kEmpty = new std::string();
  const auto& data = std::get<UndefinedData>(data_);
  return data.hint ? *data.hint : *kEmpty;
}

double Value::AsDouble() const {
  switch (kind()) {
    case Kind::kBool:
      return bool_value() ? 1.0 : 0.0;
    case Kind::kInt:
      return static_cast<double>(int_value());
    case Kind::kFloat:
      return float_value();
    default:
      TF_CHECK(false) << "AsDouble on " << TypeName();
      return 0;
  }
}

bool Value::Truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return bool_value();
    case Kind::kInt:
      return int_value() != 0;
    case Kind::kFloat:
      return float_value() != 0.0;
    case Kind::kString:
      return !string().empty();
    case Kind::kArray:
      return !array().items.empty();
    case Kind::kObject:
      return !object().entries.empty();
    case Kind::kNamespace:
    case Kind::kCallable:
      return true;
  }
  return false;
}

int Value::Depth() const {
  switch (kind()) {
    case Kind::kArray:
      return array().depth;
    case Kind::kObject:
      return object().depth;
    case Kind::kNamespace:
      return ns()->attributes().depth;
    default:
      return 0;
  }
}

std::string Value::TypeName() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kArray:
      return array().is_tuple ? "tuple" : "list";
    case Kind::kObject:
      return "dict";
    case Kind::kNamespace:
      return "Namespace";
    case Kind::kCallable:
      return "function";
  }
  return "object";
}

bool Value::SameAs(const Value& other) const {
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kBool:
      return bool_value() == other.bool_value();
    case Kind::kInt:
      return int_value() == other.int_value();
    case Kind::kFloat:
      return float_value() == other.float_value();
    case Kind::kString:
      return std::get<StringPtr>(data_) == std::get<StringPtr>(other.data_);
    case Kind::kArray:
      return std::get<ArrayPtr>(data_) == std::get<ArrayPtr>(other.data_);
    case Kind::kObject:
      return std::get<ObjectPtr>(data_) == std::get<ObjectPtr>(other.data_);
    case Kind::kNamespace:
      return ns() == other.ns();
    case Kind::kCallable:
      return std::get<CallablePtr>(data_) == std::get<CallablePtr>(other.data_);
  }
  return false;
}

void Namespace::Set(std::string name, Value value) {
  TF_CHECK(!ContainsNamespace(value)) << "a namespace may not hold a namespace";
  attributes_.depth = std::max(attributes_.depth, value.Depth() + 1);
  for (auto& entry : attributes_.entries) {
    if (entry.first.string() == name) {
      entry.second = std::move(value);
      return;
    }
  }
  attributes_.entries.emplace_back(Value::String(std::move(name)), std::move(value));
}

std::string FloatRepr(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  if (f == 0) return std::signbit(f) ? "-0.0" : "0.0";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  // sci is "[-]d[.ddd]e[+-]XX": split into sign, digits and decimal exponent.
  std::string sign;
  size_t i = 0;
  if (sci[0] == '-') sign = "-", i = 1;
  size_t e = sci.find('e');
  std::string digits;
  for (size_t k = i; k < e; ++k) {
    if (sci[k] != '.') digits.push_back(sci[k]);
  }
  const int exponent = std::stoi(sci.substr(e + 1));
  const int decpt = exponent + 1;  // value = 0.digits * 10^decpt
  std::string out = sign;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out += digits;
      out.append(static_cast<size_t>(decpt) - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, decpt);
      out += '.';
      out += digits.substr(decpt);
    }
    return out;
  }
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+',
                exponent < 0 ? -exponent : exponent);
  out += exp_buf;
  return out;
}

std::string ToStr(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return std::string();
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return value.bool_value() ? "True" : "False";
    case Value::Kind::kInt:
      return std::to_string(value.int_value());
    case Value::Kind::kFloat:
      return FloatRepr(value.float_value());
    case Value::Kind::kString:
      return value.string();
    default: {
      std::string out;
      AppendRepr(value, SIZE_MAX, &out);
      return out;
    }
  }
}

std::string ToRepr(const Value& value) {
  std::string out;
  AppendRepr(value, SIZE_MAX, &out);
  return out;
}

StatusOr<std::string> ToStrBounded(const Value& value, size_t max_bytes) {
  std::string out;
  if (value.is_array() || value.is_object() || value.is_namespace()) {
    AppendRepr(value, max_bytes, &out);
  } else {
    out = ToStr(value);
  }
  if (out.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("string would exceed the {} byte limit", max_bytes));
  }
  return out;
}

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

bool ContainsNamespace(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNamespace:
      return true;
    case Value::Kind::kArray:
      return std::any_of(value.array().items.begin(), value.array().items.end(), ContainsNamespace);
    case Value::Kind::kObject:
      return std::any_of(value.object().entries.begin(), value.object().entries.end(),
                         [](const auto& e) { return ContainsNamespace(e.second); });
    default:
      return false;
  }
}

}  // namespace tokenfab::tokenizer::jinja
