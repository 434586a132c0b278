#include "tokenizer/jinja/filters.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/json.h"
#include "tokenizer/jinja/methods.h"
#include "tokenizer/jinja/operators.h"
#include "tokenizer/jinja/unicode.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

// Jinja's soft_str(): str(value), undefined as "".
StatusOr<std::string> SoftStr(Interpreter& in, const Value& v) {
  return ToStrBounded(v, in.limits().max_output_bytes);
}

StatusOr<Value> Trim(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("trim", args, {"chars"}));
  TF_ASSIGN_OR_RETURN(std::string s, SoftStr(in, input));
  const Value* chars = bound.Get(0);
  if (chars != nullptr && !chars->is_none() && !chars->is_string()) {
    return absl::InvalidArgumentError("trim chars must be None or str");
  }
  return Value::String(
      Strip(s, chars && chars->is_string() ? &chars->string() : nullptr, StripSide::kBoth));
}

template <std::string (*kMap)(std::string_view)>
StatusOr<Value> CaseFilter(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("case filter", args, {}));
  TF_ASSIGN_OR_RETURN(std::string s, SoftStr(in, input));
  return Value::String(kMap(s));
}

// Jinja's title filter: each run between [-\s({[<]+ separators is capitalized.
std::string JinjaTitle(std::string_view s) {
  auto separator = [](char32_t cp) {
    return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || IsPythonSpace(cp);
  };
  std::string out;
  std::string word;
  auto flush = [&]() {
    if (word.empty()) return;
    size_t pos = 0;
    DecodeUtf8(word, &pos);
    out += ToUpper(std::string_view(word).substr(0, pos));
    out += ToLower(std::string_view(word).substr(pos));
    word.clear();
  };
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = DecodeUtf8(s, &pos);
    if (separator(cp)) {
      flush();
      out.append(s.substr(start, pos - start));
    } else {
      word.append(s.substr(start, pos - start));
    }
  }
  flush();
  return out;
}

StatusOr<Value> Replace(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("replace", args, {"old", "new", "count"}));
  if (bound.Get(0) == nullptr || bound.Get(1) == nullptr) {
    return absl::InvalidArgumentError("replace() needs the old and new strings");
  }
  TF_ASSIGN_OR_RETURN(std::string s, SoftStr(in, input));
  TF_ASSIGN_OR_RETURN(std::string old_s, SoftStr(in, *bound.Get(0)));
  TF_ASSIGN_OR_RETURN(std::string new_s, SoftStr(in, *bound.Get(1)));
  CallArgs method_args;
  method_args.positional = {Value::String(std::move(old_s)), Value::String(std::move(new_s))};
  if (const Value* count = bound.Get(2); count != nullptr && !count->is_none()) {
    method_args.positional.push_back(*count);
  }
  std::optional<Value> method = LookupMethod(Value::String(std::move(s)), "replace");
  return method->callable().Call(std::move(method_args), in);
}

StatusOr<Value> Indent(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound,
                      BoundArgs::Bind("indent", args, {"width", "first", "blank"}));
  std::string indention;
  const Value width = bound.GetOr(0, Value::Int(4));
  if (width.is_string()) {
    indention = width.string();
  } else if (width.is_int() || width.is_bool()) {
    const int64_t n = width.is_bool() ? width.bool_value() : width.int_value();
    if (n > 10'000) return absl::InvalidArgumentError("indent width larger than 10000");
    indention.assign(n > 0 ? static_cast<size_t>(n) : 0, ' ');
  } else {
    return absl::InvalidArgumentError(
        fmt::format("indent width must be int or str, not {}", width.TypeName()));
  }
  TF_ASSIGN_OR_RETURN(std::string s, SoftStr(in, input));
  s += "\n";  // as Jinja does, so splitlines() keeps a trailing empty line
  std::vector<std::string> lines = SplitLines(s, false);
  std::string out;
  const size_t estimate = s.size() + lines.size() * indention.size();
  if (estimate > in.limits().max_output_bytes) {
    return absl::ResourceExhaustedError("indent() result would exceed the size limit");
  }
  if (bound.Flag(2, false)) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) out += "\n" + indention;
      out += lines[i];
    }
  } else {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) {
        out += "\n";
        if (!lines[i].empty()) out += indention;
      }
      out += lines[i];
    }
  }
  if (bound.Flag(1, false)) out = indention + out;
  return Value::String(std::move(out));
}

StatusOr<Value> Center(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("center", args, {"width"}));
  const Value width_v = bound.GetOr(0, Value::Int(80));
  if (!width_v.is_int()) return absl::InvalidArgumentError("center width must be an int");
  const int64_t width = width_v.int_value();
  if (width > static_cast<int64_t>(in.limits().max_output_bytes)) {
    return absl::ResourceExhaustedError("center() width exceeds the size limit");
  }
  TF_ASSIGN_OR_RETURN(std::string s, SoftStr(in, input));
  const int64_t len = static_cast<int64_t>(CodePointCount(s));
  if (width <= len) return Value::String(std::move(s));
  const int64_t margin = width - len;
  const int64_t left = margin / 2 + (margin & width & 1);
  return Value::String(std::string(static_cast<size_t>(left), ' ') + s +
                       std::string(static_cast<size_t>(margin - left), ' '));
}

StatusOr<Value> String(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("string", args, {}));
  TF_ASSIGN_OR_RETURN(std::string s, SoftStr(in, input));
  return Value::String(std::move(s));
}

StatusOr<Value> Escape(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("escape", args, {}));
  TF_ASSIGN_OR_RETURN(std::string s, SoftStr(in, input));
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return Value::String(std::move(out));
}

StatusOr<Value> Safe(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("safe", args, {}));
  return input;
}

// Hugging Face's tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False).
StatusOr<Value> ToJsonFilter(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(
      BoundArgs bound,
      BoundArgs::Bind("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}));
  JsonOptions options;
  options.ensure_ascii = bound.Flag(0, false);
  if (const Value* indent = bound.Get(1); indent != nullptr && !indent->is_none()) {
    if (indent->is_string()) {
      options.indent = indent->string();
    } else if (indent->is_int()) {
      if (indent->int_value() > 1000)
        return absl::InvalidArgumentError("tojson indent larger than 1000");
      options.indent =
          std::string(indent->int_value() > 0 ? static_cast<size_t>(indent->int_value()) : 0, ' ');
    } else {
      return absl::InvalidArgumentError(
          fmt::format("tojson indent must be int or str, not {}", indent->TypeName()));
    }
  }
  if (const Value* separators = bound.Get(2); separators != nullptr && !separators->is_none()) {
    if (!separators->is_array() || separators->array().items.size() != 2 ||
        !separators->array().items[0].is_string() || !separators->array().items[1].is_string()) {
      return absl::InvalidArgumentError("tojson separators must be a pair of strings");
    }
    options.item_separator = separators->array().items[0].string();
    options.key_separator = separators->array().items[1].string();
  }
  options.sort_keys = bound.Flag(3, false);
  options.max_bytes = in.limits().max_output_bytes;
  TF_ASSIGN_OR_RETURN(std::string json, ToJson(input, options));
  return Value::String(std::move(json));
}

// Python int(str, 10): surrounding whitespace, a sign, digits with single '_' between them.
bool ParsePythonInt(std::string_view text, int64_t* out) {
  std::string s = Strip(text, nullptr, StripSide::kBoth);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i >= s.size()) return false;
  uint64_t value = 0;
  bool last_digit = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '_' && last_digit && i + 1 < s.size()) {
      last_digit = false;
      continue;
    }
    if (s[i] < '0' || s[i] > '9') return false;
    if (value > (UINT64_C(1) << 63) / 10) return false;
    value = value * 10 + static_cast<uint64_t>(s[i] - '0');
    last_digit = true;
  }
  if (!last_digit) return false;
  if (value > (UINT64_C(1) << 63) - (negative ? 0 : 1)) return false;
  *out = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return true;
}

// Python float(str).
bool ParsePythonFloat(std::string_view text, double* out) {
  std::string s = Strip(text, nullptr, StripSide::kBoth);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      const bool between = i > 0 && i + 1 < s.size() &&
                           std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                           std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!between) return false;
      continue;
    }
    if (c == 'x' || c == 'X' || c == 'p' || c == 'P' || c == '(') return false;  // no hex floats
    clean.push_back(c);
  }
  if (clean.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return false;
  *out = v;
  return true;
}

StatusOr<Value> Int(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("int", args, {"default", "base"}));
  const Value fallback = bound.GetOr(0, Value::Int(0));
  switch (input.kind()) {
    case Value::Kind::kInt:
      return input;
    case Value::Kind::kBool:
      return Value::Int(input.bool_value() ? 1 : 0);
    case Value::Kind::kFloat: {
      const double f = input.float_value();
      if (std::isnan(f) || std::isinf(f)) {
        return absl::InvalidArgumentError("cannot convert float NaN or infinity to integer");
      }
      if (std::fabs(f) >= 9.2e18)
        return absl::InvalidArgumentError("integer overflow (beyond 64 bits)");
      return Value::Int(static_cast<int64_t>(f));
    }
    case Value::Kind::kString: {
      int64_t i = 0;
      if (ParsePythonInt(input.string(), &i)) return Value::Int(i);
      double f = 0;
      if (ParsePythonFloat(input.string(), &f) && std::isfinite(f) && std::fabs(f) < 9.2e18) {
        return Value::Int(static_cast<int64_t>(f));
      }
      return fallback;
    }
    case Value::Kind::kUndefined:
      return UndefinedError(input);
    default:
      return fallback;
  }
}

StatusOr<Value> Float(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("float", args, {"default"}));
  const Value fallback = bound.GetOr(0, Value::Float(0.0));
  if (input.is_number()) return Value::Float(input.AsDouble());
  if (input.is_string()) {
    double f = 0;
    if (ParsePythonFloat(input.string(), &f)) return Value::Float(f);
    return fallback;
  }
  if (input.is_undefined()) return UndefinedError(input);
  return fallback;
}

StatusOr<Value> Abs(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("abs", args, {}));
  if (input.is_int()) {
    if (input.int_value() == INT64_MIN)
      return absl::InvalidArgumentError("integer overflow (beyond 64 bits)");
    return Value::Int(input.int_value() < 0 ? -input.int_value() : input.int_value());
  }
  if (input.is_bool()) return Value::Int(input.bool_value() ? 1 : 0);
  if (input.is_float()) return Value::Float(std::fabs(input.float_value()));
  if (input.is_undefined()) return UndefinedError(input);
  return absl::InvalidArgumentError(
      fmt::format("bad operand type for abs(): '{}'", input.TypeName()));
}

StatusOr<Value> Round(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("round", args, {"precision", "method"}));
  const Value precision_v = bound.GetOr(0, Value::Int(0));
  const Value method_v = bound.GetOr(1, Value::String("common"));
  if (!precision_v.is_int()) return absl::InvalidArgumentError("round precision must be an int");
  if (!method_v.is_string()) return absl::InvalidArgumentError("round method must be a string");
  const std::string& method = method_v.string();
  if (method != "common" && method != "ceil" && method != "floor") {
    return absl::InvalidArgumentError("method must be common, ceil or floor");
  }
  if (input.is_undefined()) return UndefinedError(input);
  if (!input.is_number()) {
    return absl::InvalidArgumentError(
        fmt::format("type {} doesn't define __round__ method", input.TypeName()));
  }
  const int64_t precision = precision_v.int_value();
  if (method == "common" && !input.is_float())
    return Value::Int(input.is_bool() ? input.bool_value() : input.int_value());
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = input.AsDouble();
  double r = 0;
  if (method == "ceil") {
    r = std::ceil(x * scale) / scale;
  } else if (method == "floor") {
    r = std::floor(x * scale) / scale;
  } else if (precision >= 0 && precision <= 300 && std::isfinite(x)) {
    // Python's round() rounds the exact binary value half-to-even; printf does the same.
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(precision), x);
    r = std::strtod(buf, nullptr);
  } else {
    r = std::nearbyint(x * scale) / scale;
  }
  return Value::Float(r);
}

StatusOr<Value> Default(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound,
                      BoundArgs::Bind("default", args, {"default_value", "boolean"}));
  const bool use_default = input.is_undefined() || (bound.Flag(1, false) && !input.Truthy());
  return use_default ? bound.GetOr(0, Value::String("")) : input;
}

StatusOr<Value> Attr(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("attr", args, {"name"}));
  const Value* name = bound.Get(0);
  if (name == nullptr || !name->is_string())
    return absl::InvalidArgumentError("attr() needs a name");
  return GetAttr(input, name->string());
}

struct FilterEntry {
  std::string_view name;
  FilterFn fn;
};

constexpr FilterEntry kFilters[] = {
    {"abs", Abs},
    {"attr", Attr},
    {"capitalize", CaseFilter<Capitalize>},
    {"center", Center},
    {"count", filters::Length},
    {"d", Default},
    {"default", Default},
    {"dictsort", filters::DictSort},
    {"e", Escape},
    {"escape", Escape},
    {"first", filters::First},
    {"float", Float},
    {"forceescape", Escape},
    {"indent", Indent},
    {"int", Int},
    {"items", filters::Items},
    {"join", filters::Join},
    {"last", filters::Last},
    {"length", filters::Length},
    {"list", filters::List},
    {"lower", CaseFilter<ToLower>},
    {"map", filters::Map},
    {"max", filters::Max},
    {"min", filters::Min},
    {"reject", filters::Reject},
    {"rejectattr", filters::RejectAttr},
    {"replace", Replace},
    {"reverse", filters::Reverse},
    {"round", Round},
    {"safe", Safe},
    {"select", filters::Select},
    {"selectattr", filters::SelectAttr},
    {"sort", filters::Sort},
    {"string", String},
    {"sum", filters::Sum},
    {"title", CaseFilter<JinjaTitle>},
    {"tojson", ToJsonFilter},
    {"trim", Trim},
    {"unique", filters::Unique},
    {"upper", CaseFilter<ToUpper>},
};

}  // namespace

FilterFn FindFilter(std::string_view name) {
  for (const FilterEntry& entry : kFilters) {
    if (entry.name == name) return entry.fn;
  }
  return nullptr;
}

}  // namespace tokenfab::tokenizer::jinja
