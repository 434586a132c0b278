// Value: what a Jinja expression evaluates to, with Python's data model (the semantics that
// Python Jinja2, and so Hugging Face's apply_chat_template, gives chat templates).
//
// Kinds: undefined (Jinja's default Undefined: falsy, renders as "", an error when used as a
// container or operand), none, bool, int (64-bit; overflow is an error, not a bigint), float,
// string (UTF-8), list and tuple (Array), dict (Object: insertion-ordered, string keys), namespace
// (the only mutable kind: `{% set ns.x = ... %}`), and callable (built-in functions, bound methods,
// macros).
//
// Strings, arrays and objects are immutable and shared: copying a Value is cheap (a reference
// count). A namespace is shared by reference, as in Python. Values are not thread-safe to share
// across threads while a namespace is being assigned; a render owns all its values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::tokenizer::jinja {

class Value;
class Callable;
class Namespace;

// How deep lists and dicts may nest (a template could otherwise build a chain deep enough for the
// recursive printers to exhaust the stack).
inline constexpr int kMaxValueNesting = 200;

struct Array {
  std::vector<Value> items;
  bool is_tuple = false;
  int depth = 1;  // 1 + the deepest nesting among the items
};

// A dict. Keys are usually strings, but may be any hashable value (numbers, None, tuples), as in
// Python; keys that compare equal (1, 1.0, True) are one key.
struct Object {
  std::vector<std::pair<Value, Value>> entries;  // insertion order
  int depth = 1;

  // The value under string key `key`, or null.
  const Value* Find(std::string_view key) const;
  // The value under `key` (Python equality), or null.
  const Value* Find(const Value& key) const;
};

class Value {
 public:
  enum class Kind : uint8_t {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kArray,  // list or tuple
    kObject,
    kNamespace,
    kCallable,
  };

  // Undefined, with no hint.
  Value() = default;

  // `hint` is the message of the error raised when the undefined value is used, e.g.
  // "'foo' is undefined" or "'dict object' has no attribute 'bar'".
  static Value Undefined(std::string hint = std::string());
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value List(std::vector<Value> items);
  static Value Tuple(std::vector<Value> items);
  // A dict with string keys. REQUIRES: the keys are distinct.
  static Value Dict(std::vector<std::pair<std::string, Value>> entries);
  // A dict with any keys. REQUIRES: the keys are hashable and distinct.
  static Value DictFromKeys(std::vector<std::pair<Value, Value>> entries);
  static Value FromNamespace(std::shared_ptr<Namespace> ns);
  static Value FromCallable(std::shared_ptr<const Callable> fn);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  // int, float or bool (Python's bool is an int).
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_list() const { return is_array() && !array().is_tuple; }
  bool is_tuple() const { return is_array() && array().is_tuple; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }
  bool is_callable() const { return kind() == Kind::kCallable; }

  // REQUIRES: the matching kind.
  bool bool_value() const { return std::get<bool>(data_); }
  int64_t int_value() const { return std::get<int64_t>(data_); }
  double float_value() const { return std::get<double>(data_); }
  const std::string& string() const { return *std::get<StringPtr>(data_); }
  const Array& array() const { return *std::get<ArrayPtr>(data_); }
  const Object& object() const { return *std::get<ObjectPtr>(data_); }
  const std::shared_ptr<Namespace>& ns() const { return std::get<NamespacePtr>(data_); }
  const Callable& callable() const { return *std::get<CallablePtr>(data_); }
  const std::string& undefined_hint() const;

  // A number as double (bool, int or float). REQUIRES: is_number().
  double AsDouble() const;

  // Python truthiness.
  bool Truthy() const;
  // Nesting depth: 0 for scalars, 1 + the deepest item for containers.
  int Depth() const;
  // Python's type name, for error messages: 'str', 'int', 'list', 'dict', 'NoneType', ...
  std::string TypeName() const;
  // Same object (Python `is`): identity for shared kinds, equality for scalars.
  bool SameAs(const Value& other) const;

 private:
  struct UndefinedData {
    std::shared_ptr<const std::string> hint;
  };
  struct NoneData {};
  using StringPtr = std::shared_ptr<const std::string>;
  using ArrayPtr = std::shared_ptr<const Array>;
  using ObjectPtr = std::shared_ptr<const Object>;
  using NamespacePtr = std::shared_ptr<Namespace>;
  using CallablePtr = std::shared_ptr<const Callable>;

  // The alternatives' order is Kind's order.
  std::variant<UndefinedData, NoneData, bool, int64_t, double, StringPtr, ArrayPtr, ObjectPtr,
               NamespacePtr, CallablePtr>
      data_;
};

// The mutable attribute bag made by `namespace(...)`. Shared by reference between the values
// that hold it.
class Namespace {
 public:
  const Object& attributes() const { return attributes_; }
  const Value* Find(std::string_view name) const { return attributes_.Find(name); }
  // Sets or replaces attribute `name`.
  // REQUIRES: `value` holds no namespace (so namespaces can never form a cycle).
  void Set(std::string name, Value value);

 private:
  Object attributes_;
};

// True when `value` is or contains a namespace.
bool ContainsNamespace(const Value& value);

}  // namespace tokenfab::tokenizer::jinja
