#include "tokenizer/jinja/globals.h"

#include <time.h>

#include <memory>
#include <utility>
#include <vector>

#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/interpreter.h"

namespace tokenfab::tokenizer::jinja {
namespace {

// Jinja's sandbox refuses larger ranges.
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
        "Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange));
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

constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

void AppendNumber(int value, int width, char pad, std::string* out) {
  std::string digits = std::to_string(value);
  if (pad != '\0') {
    while (static_cast<int>(digits.size()) < width) digits.insert(digits.begin(), pad);
  }
  out->append(digits);
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

std::string FormatTime(std::string_view format, int64_t unix_micros) {
  const int64_t micros = ((unix_micros % 1'000'000) + 1'000'000) % 1'000'000;
  const time_t seconds = static_cast<time_t>((unix_micros - micros) / 1'000'000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out.push_back(format[i]);
      continue;
    }
    size_t j = i + 1;
    char pad_override = 0;  // '-' (none) or '_' (space) or '0'
    if (format[j] == '-' || format[j] == '_' || format[j] == '0') {
      pad_override = format[j];
      ++j;
      if (j >= format.size()) {
        out.append(format.substr(i));
        break;
      }
    }
    auto number = [&](int value, int width, char pad) {
      char p = pad;
      if (pad_override == '-') p = '\0';
      if (pad_override == '_') p = ' ';
      if (pad_override == '0') p = '0';
      AppendNumber(value, width, p, &out);
    };
    const int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
    switch (format[j]) {
      case 'a':
        out.append(std::string_view(kDays[tm.tm_wday]).substr(0, 3));
        break;
      case 'A':
        out.append(kDays[tm.tm_wday]);
        break;
      case 'b':
      case 'h':
        out.append(std::string_view(kMonths[tm.tm_mon]).substr(0, 3));
        break;
      case 'B':
        out.append(kMonths[tm.tm_mon]);
        break;
      case 'c':
        out.append(FormatTime("%a %b %e %H:%M:%S %Y", unix_micros));
        break;
      case 'C':
        number((tm.tm_year + 1900) / 100, 2, '0');
        break;
      case 'd':
        number(tm.tm_mday, 2, '0');
        break;
      case 'D':
      case 'x':
        out.append(FormatTime("%m/%d/%y", unix_micros));
        break;
      case 'e':
        number(tm.tm_mday, 2, ' ');
        break;
      case 'f':
        number(static_cast<int>(micros), 6, '0');
        break;
      case 'F':
        out.append(FormatTime("%Y-%m-%d", unix_micros));
        break;
      case 'H':
        number(tm.tm_hour, 2, '0');
        break;
      case 'I':
        number(hour12, 2, '0');
        break;
      case 'j':
        number(tm.tm_yday + 1, 3, '0');
        break;
      case 'k':
        number(tm.tm_hour, 2, ' ');
        break;
      case 'l':
        number(hour12, 2, ' ');
        break;
      case 'm':
        number(tm.tm_mon + 1, 2, '0');
        break;
      case 'M':
        number(tm.tm_min, 2, '0');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'p':
        out.append(tm.tm_hour < 12 ? "AM" : "PM");
        break;
      case 'R':
        out.append(FormatTime("%H:%M", unix_micros));
        break;
      case 'S':
        number(tm.tm_sec, 2, '0');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'T':
      case 'X':
        out.append(FormatTime("%H:%M:%S", unix_micros));
        break;
      case 'u':
        number(tm.tm_wday == 0 ? 7 : tm.tm_wday, 1, '0');
        break;
      case 'w':
        number(tm.tm_wday, 1, '0');
        break;
      case 'y':
        number(tm.tm_year % 100, 2, '0');
        break;
      case 'Y':
        number(tm.tm_year + 1900, 1, '0');
        break;
      case 'z':
      case 'Z':
        break;
      case '%':
        out.push_back('%');
        break;
      default:
        out.append(format.substr(i, j - i + 1));
        break;
    }
    i = j;
  }
  return out;
}

}  // namespace tokenfab::tokenizer::jinja
