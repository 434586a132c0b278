#include "tokenizer/jinja/globals.h"

#include <memory>
#include <utility>
#include <vector>

#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/strftime.h"
#include "tokenizer/jinja/value_compare.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

// Jinja's ImmutableSandboxedEnvironment refuses larger ranges (MAX_RANGE).
constexpr int64_t kMaxRange = 100000;

using GlobalFn = StatusOr<Value> (*)(CallArgs args, Interpreter& in);

class GlobalFunction final : public Callable {
 public:
  GlobalFunction(std::string_view name, GlobalFn fn) : name_(name), fn_(fn) {}
  std::string_view name() const override { return name_; }
  StatusOr<Value> Call(CallArgs args, Interpreter& in) const override {
    return fn_(std::move(args), in);
  }

 private:
  std::string_view name_;
  GlobalFn fn_;
};

StatusOr<int64_t> IntArg(const Value& v, std::string_view fn) {
  if (v.is_int()) return v.int_value();
  if (v.is_bool()) return v.bool_value() ? 1 : 0;
  return absl::InvalidArgumentError(
      fmt::format("'{}' object cannot be interpreted as an integer ({}())", v.TypeName(), fn));
}

StatusOr<Value> Range(CallArgs args, Interpreter&) {
  if (!args.keyword.empty())
    return absl::InvalidArgumentError("range() takes no keyword arguments");
  const size_t n = args.positional.size();
  if (n < 1 || n > 3)
    return absl::InvalidArgumentError(fmt::format("range expected 1 to 3 arguments, got {}", n));
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  if (n == 1) {
    TF_ASSIGN_OR_RETURN(stop, IntArg(args.positional[0], "range"));
  } else {
    TF_ASSIGN_OR_RETURN(start, IntArg(args.positional[0], "range"));
    TF_ASSIGN_OR_RETURN(stop, IntArg(args.positional[1], "range"));
    if (n == 3) {
      TF_ASSIGN_OR_RETURN(step, IntArg(args.positional[2], "range"));
    }
  }
  if (step == 0) return absl::InvalidArgumentError("range() arg 3 must not be zero");
  // Item count without overflow.
  const long double span =
      step > 0 ? static_cast<long double>(stop) - start : static_cast<long double>(start) - stop;
  const long double count =
      span <= 0 ? 0 : (span + (step > 0 ? step : -step) - 1) / (step > 0 ? step : -step);
  if (count > kMaxRange) {
    return absl::ResourceExhaustedError(fmt::format(
        "range() too big: ranges of more than {} items are refused (MAX_RANGE)", kMaxRange));
  }
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    items.push_back(Value::Int(i));
    if (static_cast<int64_t>(items.size()) >= kMaxRange) break;
  }
  return Value::List(std::move(items));
}

// Entries of dict(mapping_or_pairs, **kwargs) / namespace(...).
StatusOr<std::vector<std::pair<Value, Value>>> DictEntries(const CallArgs& args,
                                                           std::string_view fn) {
  std::vector<std::pair<Value, Value>> entries;
  auto put = [&](Value key, Value value) {
    for (auto& entry : entries) {
      if (Equals(entry.first, key)) {
        entry.second = std::move(value);
        return;
      }
    }
    entries.emplace_back(std::move(key), std::move(value));
  };
  if (args.positional.size() > 1) {
    return absl::InvalidArgumentError(
        fmt::format("{} expected at most 1 argument, got {}", fn, args.positional.size()));
  }
  if (args.positional.size() == 1) {
    const Value& source = args.positional[0];
    if (source.is_object()) {
      for (const auto& [key, value] : source.object().entries) put(key, value);
    } else if (source.is_array()) {
      for (const Value& pair : source.array().items) {
        if (!pair.is_array() || pair.array().items.size() != 2 ||
            !IsHashable(pair.array().items[0])) {
          return absl::InvalidArgumentError(fmt::format("{}() needs (key, value) pairs", fn));
        }
        put(pair.array().items[0], pair.array().items[1]);
      }
    } else {
      return absl::InvalidArgumentError(
          fmt::format("'{}' object is not iterable", source.TypeName()));
    }
  }
  for (auto& [key, value] : args.keyword) put(Value::String(key), value);
  return entries;
}

StatusOr<Value> MakeNamespace(CallArgs args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(auto entries, DictEntries(args, "namespace"));
  auto ns = std::make_shared<jinja::Namespace>();
  for (auto& [key, value] : entries) {
    if (!key.is_string())
      return absl::InvalidArgumentError("namespace attribute names must be strings");
    if (ContainsNamespace(value))
      return absl::InvalidArgumentError("a namespace cannot hold a namespace");
    if (value.Depth() + 1 > kMaxValueNesting)
      return absl::ResourceExhaustedError("value nests too deeply");
    ns->Set(key.string(), std::move(value));
  }
  return Value::FromNamespace(std::move(ns));
}

StatusOr<Value> Dict(CallArgs args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(auto entries, DictEntries(args, "dict"));
  Value dict = Value::DictFromKeys(std::move(entries));
  if (dict.Depth() > kMaxValueNesting)
    return absl::ResourceExhaustedError("value nests too deeply");
  return dict;
}

class Joiner final : public Callable {
 public:
  explicit Joiner(std::string separator) : separator_(std::move(separator)) {}
  std::string_view name() const override { return "joiner"; }
  StatusOr<Value> Call(CallArgs args, Interpreter&) const override {
    if (!used_) {
      used_ = true;
      return Value::String("");
    }
    return Value::String(separator_);
  }

 private:
  std::string separator_;
  mutable bool used_ = false;  // a joiner belongs to the one render that made it
};

StatusOr<Value> MakeJoiner(CallArgs args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("joiner", args, {"sep"}));
  const Value sep = bound.GetOr(0, Value::String(", "));
  return Value::FromCallable(std::make_shared<Joiner>(ToStr(sep)));
}

StatusOr<Value> RaiseException(CallArgs args, Interpreter&) {
  std::string message = args.positional.empty() ? std::string() : ToStr(args.positional[0]);
  return absl::InvalidArgumentError(message);
}

StatusOr<Value> StrftimeNow(CallArgs args, Interpreter& in) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("strftime_now", args, {"format"}));
  const Value* format = bound.Get(0);
  if (format == nullptr || !format->is_string())
    return absl::InvalidArgumentError("strftime_now() needs a format string");
  return Value::String(FormatTime(format->string(), in.clock().WallMicros()));
}

}  // namespace

const Value* FindGlobal(std::string_view name) {
  static const auto* const kGlobals = [] {
    auto* globals = new std::vector<std::pair<std::string_view, Value>>();
    auto add = [&](std::string_view n, GlobalFn fn) {
      globals->emplace_back(n, Value::FromCallable(std::make_shared<GlobalFunction>(n, fn)));
    };
    add("range", Range);
    add("namespace", MakeNamespace);
    add("dict", Dict);
    add("joiner", MakeJoiner);
    add("raise_exception", RaiseException);
    add("strftime_now", StrftimeNow);
    return globals;
  }();
  for (const auto& [n, value] : *kGlobals) {
    if (n == name) return &value;
  }
  return nullptr;
}

}  // namespace tokenfab::tokenizer::jinja
