#include "tokenizer/jinja/methods.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/operators.h"
#include "tokenizer/jinja/unicode.h"
#include "tokenizer/jinja/value_compare.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

using MethodFn = StatusOr<Value> (*)(const Value& self, const CallArgs& args, Interpreter& in);

class BoundMethod final : public Callable {
 public:
  BoundMethod(Value self, std::string name, MethodFn fn)
      : self_(std::move(self)), name_(std::move(name)), fn_(fn) {}
  std::string_view name() const override { return name_; }
  StatusOr<Value> Call(CallArgs args, Interpreter& in) const override {
    return fn_(self_, args, in);
  }

 private:
  Value self_;
  std::string name_;
  MethodFn fn_;
};

Status TypeError(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

Value StringList(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (std::string& p : parts) items.push_back(Value::String(std::move(p)));
  return Value::List(std::move(items));
}

// An optional string argument ("chars", "sep"): null when absent or None.
StatusOr<const std::string*> OptionalString(const BoundArgs& bound, size_t i, std::string_view fn) {
  const Value* v = bound.Get(i);
  if (v == nullptr || v->is_none()) return nullptr;
  if (!v->is_string()) {
    return TypeError(fmt::format("{} arg must be None or str, not {}", fn, v->TypeName()));
  }
  return &v->string();
}

StatusOr<int64_t> OptionalInt(const BoundArgs& bound, size_t i, int64_t fallback,
                              std::string_view what) {
  const Value* v = bound.Get(i);
  if (v == nullptr) return fallback;
  if (v->is_int()) return v->int_value();
  if (v->is_bool()) return v->bool_value() ? 1 : 0;
  return TypeError(
      fmt::format("'{}' object cannot be interpreted as an integer ({})", v->TypeName(), what));
}

template <StripSide kSide>
StatusOr<Value> StripMethod(const Value& self, const CallArgs& args, Interpreter&) {
  const char* name =
      kSide == StripSide::kBoth ? "strip" : (kSide == StripSide::kLeft ? "lstrip" : "rstrip");
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(name, args, {"chars"}));
  TF_ASSIGN_OR_RETURN(const std::string* chars, OptionalString(bound, 0, name));
  return Value::String(Strip(self.string(), chars, kSide));
}

template <bool kFromRight>
StatusOr<Value> SplitMethod(const Value& self, const CallArgs& args, Interpreter&) {
  const char* name = kFromRight ? "rsplit" : "split";
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(name, args, {"sep", "maxsplit"}));
  TF_ASSIGN_OR_RETURN(const std::string* sep, OptionalString(bound, 0, name));
  if (sep != nullptr && sep->empty()) return absl::InvalidArgumentError("empty separator");
  TF_ASSIGN_OR_RETURN(int64_t maxsplit, OptionalInt(bound, 1, -1, "maxsplit"));
  return StringList(SplitString(self.string(), sep, maxsplit, kFromRight));
}

StatusOr<Value> SplitLinesMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("splitlines", args, {"keepends"}));
  return StringList(SplitLines(self.string(), bound.Flag(0, false)));
}

// s[start:end] for the optional start/end arguments of startswith/endswith.
StatusOr<std::string> SubRange(const Value& self, const BoundArgs& bound, size_t first) {
  const Value* start = bound.Get(first);
  const Value* end = bound.Get(first + 1);
  if (start == nullptr && end == nullptr) return self.string();
  TF_ASSIGN_OR_RETURN(Value sliced, SliceValue(self, start, end, nullptr));
  if (!sliced.is_string()) return TypeError("slice indices must be integers or None");
  return sliced.string();
}

template <bool kEnd>
StatusOr<Value> AffixMethod(const Value& self, const CallArgs& args, Interpreter&) {
  const char* name = kEnd ? "endswith" : "startswith";
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(name, args, {"prefix", "start", "end"}));
  const Value* affix = bound.Get(0);
  if (affix == nullptr)
    return TypeError(fmt::format("{}() takes at least 1 argument (0 given)", name));
  TF_ASSIGN_OR_RETURN(std::string s, SubRange(self, bound, 1));
  auto matches = [&](const std::string& a) {
    if (a.size() > s.size()) return false;
    return kEnd ? s.compare(s.size() - a.size(), a.size(), a) == 0 : s.compare(0, a.size(), a) == 0;
  };
  if (affix->is_string()) return Value::Bool(matches(affix->string()));
  if (affix->is_tuple()) {
    for (const Value& item : affix->array().items) {
      if (!item.is_string()) {
        return TypeError(
            fmt::format("tuple for {} must only contain str, not {}", name, item.TypeName()));
      }
      if (matches(item.string())) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  return TypeError(
      fmt::format("{} first arg must be str or a tuple of str, not {}", name, affix->TypeName()));
}

StatusOr<Value> ReplaceMethod(const Value& self, const CallArgs& args, Interpreter& in) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("replace", args, {"old", "new", "count"}));
  const Value* old_v = bound.Get(0);
  const Value* new_v = bound.Get(1);
  if (old_v == nullptr || new_v == nullptr || !old_v->is_string() || !new_v->is_string()) {
    return TypeError("replace() arguments must be str");
  }
  TF_ASSIGN_OR_RETURN(int64_t count, OptionalInt(bound, 2, -1, "count"));
  const std::string& s = self.string();
  const std::string& from = old_v->string();
  const std::string& to = new_v->string();
  std::string out;
  int64_t done = 0;
  if (from.empty()) {
    // Python inserts `to` before every character and at the end.
    const size_t max = in.limits().max_output_bytes;
    if ((CodePointCount(s) + 1) * to.size() + s.size() > max) {
      return absl::ResourceExhaustedError("replace() result would exceed the size limit");
    }
    size_t pos = 0;
    while (count < 0 || done < count) {
      out += to;
      ++done;
      if (pos >= s.size()) break;
      size_t start = pos;
      DecodeUtf8(s, &pos);
      out.append(s, start, pos - start);
    }
    out.append(s, pos, std::string::npos);
    return Value::String(std::move(out));
  }
  size_t pos = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    if (out.size() > in.limits().max_output_bytes) {
      return absl::ResourceExhaustedError("replace() result would exceed the size limit");
    }
    pos = hit + from.size();
    ++done;
  }
  out.append(s, pos, std::string::npos);
  return Value::String(std::move(out));
}

template <std::string (*kMap)(std::string_view)>
StatusOr<Value> CaseMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("case conversion", args, {}));
  return Value::String(kMap(self.string()));
}

// The argument a str.format() replacement field names: "" (the next positional), "0", "name".
// Python refuses to mix automatic and manual numbering.
class FormatFields {
 public:
  explicit FormatFields(const CallArgs& args) : args_(args) {}

  StatusOr<const Value*> Resolve(const std::string& field) {
    const bool numeric =
        !field.empty() && field.size() < 9 &&
        std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; });
    if (!field.empty() && !numeric) {
      for (const auto& [key, value] : args_.keyword) {
        if (key == field) return &value;
      }
      return absl::InvalidArgumentError(fmt::format("KeyError: '{}'", field));
    }
    if ((field.empty() && numbering_ == kManual) || (numeric && numbering_ == kAuto)) {
      return absl::InvalidArgumentError(
          "cannot switch from manual field specification to automatic field numbering");
    }
    numbering_ = field.empty() ? kAuto : kManual;
    const size_t index = field.empty() ? next_++ : std::stoul(field);
    if (index >= args_.positional.size()) {
      return absl::InvalidArgumentError(
          fmt::format("Replacement index {} out of range for positional args tuple", index));
    }
    return &args_.positional[index];
  }

 private:
  enum Numbering { kNone, kAuto, kManual };
  const CallArgs& args_;
  size_t next_ = 0;
  Numbering numbering_ = kNone;
};

// Python str.format(): "{}", "{0}", "{name}", "{{", "}}", "!r"/"!s" conversions, no format specs.
StatusOr<Value> FormatMethod(const Value& self, const CallArgs& args, Interpreter& in) {
  const std::string& f = self.string();
  std::string out;
  FormatFields fields(args);
  for (size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if ((c == '{' || c == '}') && i + 1 < f.size() && f[i + 1] == c) {
      out.push_back(c);  // "{{" or "}}"
      ++i;
      continue;
    }
    if (c == '}') return absl::InvalidArgumentError("Single '}' encountered in format string");
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    const size_t close = f.find('}', i);
    if (close == std::string::npos) {
      return absl::InvalidArgumentError("Single '{' encountered in format string");
    }
    std::string field = f.substr(i + 1, close - i - 1);
    i = close;
    char conversion = 's';
    if (size_t bang = field.find('!'); bang != std::string::npos) {
      if (bang + 2 != field.size() || (field[bang + 1] != 'r' && field[bang + 1] != 's')) {
        return absl::InvalidArgumentError("unsupported conversion in format string");
      }
      conversion = field[bang + 1];
      field.resize(bang);
    }
    if (field.find_first_of(":.[") != std::string::npos) {
      return absl::InvalidArgumentError(
          "format specs and field access are not supported in str.format()");
    }
    TF_ASSIGN_OR_RETURN(const Value* arg, fields.Resolve(field));
    out += conversion == 'r' ? ToRepr(*arg) : ToStr(*arg);
    if (out.size() > in.limits().max_output_bytes) {
      return absl::ResourceExhaustedError("format() result would exceed the size limit");
    }
  }
  return Value::String(std::move(out));
}

StatusOr<Value> JoinMethod(const Value& self, const CallArgs& args, Interpreter& in) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("join", args, {"iterable"}));
  const Value* iterable = bound.Get(0);
  if (iterable == nullptr) return TypeError("join() takes exactly one argument (0 given)");
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(*iterable));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return TypeError(
          fmt::format("sequence item {}: expected str instance, {} found", i, items[i].TypeName()));
    }
    if (i > 0) out += self.string();
    out += items[i].string();
    if (out.size() > in.limits().max_output_bytes) {
      return absl::ResourceExhaustedError("join() result would exceed the size limit");
    }
  }
  return Value::String(std::move(out));
}

template <bool kReverse>
StatusOr<Value> FindMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(kReverse ? "rfind" : "find", args, {"sub"}));
  const Value* sub = bound.Get(0);
  if (sub == nullptr || !sub->is_string()) return TypeError("find() argument must be str");
  const std::string& s = self.string();
  const size_t hit = kReverse ? s.rfind(sub->string()) : s.find(sub->string());
  if (hit == std::string::npos) return Value::Int(-1);
  return Value::Int(static_cast<int64_t>(CodePointCount(std::string_view(s).substr(0, hit))));
}

StatusOr<Value> CountMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("count", args, {"x"}));
  const Value* x = bound.Get(0);
  if (x == nullptr) return TypeError("count() takes exactly one argument (0 given)");
  if (self.is_array()) {
    int64_t n = 0;
    for (const Value& item : self.array().items) n += Equals(item, *x) ? 1 : 0;
    return Value::Int(n);
  }
  if (!x->is_string()) return TypeError("count() argument must be str");
  const std::string& s = self.string();
  const std::string& sub = x->string();
  if (sub.empty()) return Value::Int(static_cast<int64_t>(CodePointCount(s)) + 1);
  int64_t n = 0;
  for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size())) ++n;
  return Value::Int(n);
}

StatusOr<Value> IndexMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("index", args, {"x"}));
  const Value* x = bound.Get(0);
  if (x == nullptr) return TypeError("index() takes at least 1 argument (0 given)");
  const auto& items = self.array().items;
  for (size_t i = 0; i < items.size(); ++i) {
    if (Equals(items[i], *x)) return Value::Int(static_cast<int64_t>(i));
  }
  return absl::InvalidArgumentError(fmt::format("{} is not in list", ToRepr(*x)));
}

enum class CharClass { kDigit, kAlpha, kAlnum, kSpace, kLower, kUpper };

template <CharClass kClass>
StatusOr<Value> IsMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("is", args, {}));
  const std::vector<char32_t> cps = ToCodePoints(self.string());
  if (kClass == CharClass::kLower || kClass == CharClass::kUpper) {
    bool cased = false;
    for (char32_t cp : cps) {
      if (kClass == CharClass::kLower ? IsUpperCase(cp) : IsLowerCase(cp))
        return Value::Bool(false);
      if (IsCased(cp)) cased = true;
    }
    return Value::Bool(cased);
  }
  if (cps.empty()) return Value::Bool(false);
  for (char32_t cp : cps) {
    bool ok = kClass == CharClass::kDigit   ? IsDigit(cp)
              : kClass == CharClass::kAlpha ? IsAlpha(cp)
              : kClass == CharClass::kAlnum ? IsAlnum(cp)
                                            : IsPythonSpace(cp);
    if (!ok) return Value::Bool(false);
  }
  return Value::Bool(true);
}

StatusOr<Value> ItemsMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("items", args, {}));
  std::vector<Value> items;
  for (const auto& [key, value] : self.object().entries)
    items.push_back(Value::Tuple({key, value}));
  return Value::List(std::move(items));
}

StatusOr<Value> KeysMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("keys", args, {}));
  std::vector<Value> items;
  for (const auto& entry : self.object().entries) items.push_back(entry.first);
  return Value::List(std::move(items));
}

StatusOr<Value> ValuesMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("values", args, {}));
  std::vector<Value> items;
  for (const auto& entry : self.object().entries) items.push_back(entry.second);
  return Value::List(std::move(items));
}

StatusOr<Value> GetMethod(const Value& self, const CallArgs& args, Interpreter&) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("get", args, {"key", "default"}));
  const Value* key = bound.Get(0);
  if (key == nullptr) return TypeError("get expected at least 1 argument, got 0");
  if (!IsHashable(*key)) return TypeError(fmt::format("unhashable type: '{}'", key->TypeName()));
  if (const Value* v = self.object().Find(*key)) return *v;
  return bound.GetOr(1, Value::None());
}

struct MethodEntry {
  std::string_view name;
  MethodFn fn;
};

constexpr MethodEntry kStringMethods[] = {
    {"strip", StripMethod<StripSide::kBoth>},
    {"lstrip", StripMethod<StripSide::kLeft>},
    {"rstrip", StripMethod<StripSide::kRight>},
    {"split", SplitMethod<false>},
    {"rsplit", SplitMethod<true>},
    {"splitlines", SplitLinesMethod},
    {"startswith", AffixMethod<false>},
    {"endswith", AffixMethod<true>},
    {"replace", ReplaceMethod},
    {"upper", CaseMethod<ToUpper>},
    {"lower", CaseMethod<ToLower>},
    {"title", CaseMethod<ToTitle>},
    {"capitalize", CaseMethod<Capitalize>},
    {"swapcase", CaseMethod<SwapCase>},
    {"format", FormatMethod},
    {"join", JoinMethod},
    {"find", FindMethod<false>},
    {"rfind", FindMethod<true>},
    {"count", CountMethod},
    {"isdigit", IsMethod<CharClass::kDigit>},
    {"isalpha", IsMethod<CharClass::kAlpha>},
    {"isalnum", IsMethod<CharClass::kAlnum>},
    {"isspace", IsMethod<CharClass::kSpace>},
    {"islower", IsMethod<CharClass::kLower>},
    {"isupper", IsMethod<CharClass::kUpper>},
};

constexpr MethodEntry kDictMethods[] = {
    {"items", ItemsMethod},
    {"keys", KeysMethod},
    {"values", ValuesMethod},
    {"get", GetMethod},
};

constexpr MethodEntry kListMethods[] = {
    {"index", IndexMethod},
    {"count", CountMethod},
};

template <size_t N>
std::optional<Value> Find(const MethodEntry (&table)[N], const Value& receiver,
                          std::string_view name) {
  for (const MethodEntry& entry : table) {
    if (entry.name == name) {
      return Value::FromCallable(
          std::make_shared<BoundMethod>(receiver, std::string(name), entry.fn));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Value> LookupMethod(const Value& receiver, std::string_view name) {
  switch (receiver.kind()) {
    case Value::Kind::kString:
      return Find(kStringMethods, receiver, name);
    case Value::Kind::kObject:
      return Find(kDictMethods, receiver, name);
    case Value::Kind::kArray:
      return Find(kListMethods, receiver, name);
    default:
      return std::nullopt;
  }
}

std::vector<std::string> SplitString(std::string_view s, const std::string* sep, int64_t maxsplit,
                                     bool from_right) {
  std::vector<std::string> out;
  int64_t remaining = maxsplit < 0 ? std::numeric_limits<int64_t>::max() : maxsplit;
  if (sep != nullptr) {
    if (!from_right) {
      size_t i = 0;
      while (remaining-- > 0) {
        size_t hit = s.find(*sep, i);
        if (hit == std::string_view::npos) break;
        out.emplace_back(s.substr(i, hit - i));
        i = hit + sep->size();
      }
      out.emplace_back(s.substr(i));
    } else {
      size_t end = s.size();
      while (remaining-- > 0 && end >= sep->size()) {
        size_t hit = s.rfind(*sep, end - sep->size());
        if (hit == std::string_view::npos) break;
        out.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
        end = hit;
      }
      out.emplace_back(s.substr(0, end));
      std::reverse(out.begin(), out.end());
    }
    return out;
  }
  // Whitespace runs separate; leading and trailing whitespace yields no empty strings.
  const std::vector<char32_t> cps = ToCodePoints(s);
  const int64_t n = static_cast<int64_t>(cps.size());
  auto piece = [&](int64_t from, int64_t to) {
    std::string p;
    for (int64_t k = from; k < to; ++k) AppendUtf8(cps[static_cast<size_t>(k)], &p);
    return p;
  };
  auto space = [&](int64_t k) { return IsPythonSpace(cps[static_cast<size_t>(k)]); };
  if (!from_right) {
    int64_t i = 0;
    while (remaining-- > 0) {
      while (i < n && space(i)) ++i;
      if (i == n) break;
      int64_t j = i++;
      while (i < n && !space(i)) ++i;
      out.push_back(piece(j, i));
    }
    if (i < n) {
      while (i < n && space(i)) ++i;
      if (i != n) out.push_back(piece(i, n));
    }
    return out;
  }
  int64_t i = n - 1;
  while (remaining-- > 0) {
    while (i >= 0 && space(i)) --i;
    if (i < 0) break;
    int64_t j = i--;
    while (i >= 0 && !space(i)) --i;
    out.push_back(piece(i + 1, j + 1));
  }
  if (i >= 0) {
    while (i >= 0 && space(i)) --i;
    if (i >= 0) out.push_back(piece(0, i + 1));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> SplitLines(std::string_view s, bool keepends) {
  std::vector<std::string> out;
  size_t line_start = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = DecodeUtf8(s, &pos);
    if (!IsLineBoundary(cp)) continue;
    size_t end = pos;
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') end = ++pos;
    out.emplace_back(s.substr(line_start, (keepends ? end : start) - line_start));
    line_start = pos;
  }
  if (line_start < s.size()) out.emplace_back(s.substr(line_start));
  return out;
}

}  // namespace tokenfab::tokenizer::jinja
