#include "tokenizer/jinja/value.h"

#include <algorithm>

#include "tokenfab/base/check.h"
#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/value_compare.h"

namespace tokenfab::tokenizer::jinja {
namespace {

int ItemsDepth(const std::vector<Value>& items) {
  int depth = 0;
  for (const Value& v : items) depth = std::max(depth, v.Depth());
  return depth + 1;
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
