// Callable: a value a template can call: a global function (range, namespace, raise_exception,
// strftime_now, dict), a bound method ("x".strip, d.items) or a macro. Also the argument binding
// every built-in shares, with Python's rules and error messages.
//
// Callables are immutable and shared; Call() may be invoked concurrently from different renders
// (each with its own Interpreter).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

class Interpreter;

// The evaluated arguments of one call: `f(1, 2, key=3)`.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

class Callable {
 public:
  virtual ~Callable() = default;
  // The name shown in repr() and error messages.
  virtual std::string_view name() const = 0;
  // Errors are plain messages; the interpreter adds the source position.
  [[nodiscard]] virtual StatusOr<Value> Call(CallArgs args, Interpreter& interpreter) const = 0;
};

// CallArgs matched to a function's parameter list, Python style: positionals fill parameters in
// order, keywords by name; too many positionals, an unknown keyword or a parameter given twice is
// an error naming `function`.
class BoundArgs {
 public:
  [[nodiscard]] static StatusOr<BoundArgs> Bind(std::string_view function, const CallArgs& args,
                                                std::initializer_list<std::string_view> params);

  // The argument for parameter `i`, or null when the call did not give it.
  const Value* Get(size_t i) const { return values_[i] ? &*values_[i] : nullptr; }
  // The argument, or `fallback` when not given.
  Value GetOr(size_t i, Value fallback) const { return values_[i] ? *values_[i] : fallback; }
  // The argument as a bool (Python truthiness), or `fallback`.
  bool Flag(size_t i, bool fallback) const { return values_[i] ? values_[i]->Truthy() : fallback; }

 private:
  std::vector<std::optional<Value>> values_;
};

}  // namespace tokenfab::tokenizer::jinja
