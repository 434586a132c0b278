// The sequence filters of filters.h.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/filters.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/operators.h"
#include "tokenizer/jinja/unicode.h"
#include "tokenizer/jinja/value_compare.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja::filters {
namespace {

// Jinja's make_attrgetter: "a.b.0" looked up part by part with getitem (digits as indexes);
// `fallback` replaces an undefined result.
StatusOr<Value> GetPath(const Value& item, const Value& attribute, const Value* fallback) {
  Value current = item;
  if (attribute.is_int()) {
    TF_ASSIGN_OR_RETURN(current, GetItem(current, attribute));
  } else if (attribute.is_string()) {
    const std::string& path = attribute.string();
    size_t start = 0;
    while (true) {
      const size_t dot = path.find('.', start);
      const std::string part =
          path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      const bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
      const Value key =
          digits && part.size() < 18 ? Value::Int(std::stoll(part)) : Value::String(part);
      TF_ASSIGN_OR_RETURN(current, GetItem(current, key));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  } else {
    return absl::InvalidArgumentError("attribute must be a string or an int");
  }
  if (fallback != nullptr && current.is_undefined()) return *fallback;
  return current;
}

// Jinja's ignore_case postprocess.
Value FoldCase(const Value& v, bool case_sensitive) {
  if (case_sensitive || !v.is_string()) return v;
  return Value::String(ToLower(v.string()));
}

// Keys for sort/unique/min/max: the item (or its attribute), case-folded unless case_sensitive.
StatusOr<std::vector<Value>> SortKeys(const std::vector<Value>& items, const Value* attribute,
                                      bool case_sensitive) {
  std::vector<Value> keys;
  keys.reserve(items.size());
  for (const Value& item : items) {
    Value key = item;
    if (attribute != nullptr && !attribute->is_none()) {
      TF_ASSIGN_OR_RETURN(key, GetPath(item, *attribute, nullptr));
    }
    keys.push_back(FoldCase(key, case_sensitive));
  }
  return keys;
}

// Stable order of `keys` (Python's sorted(), reverse keeping equal items in order).
StatusOr<std::vector<size_t>> SortedOrder(const std::vector<Value>& keys, bool reverse) {
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Status error;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (!error.ok()) return false;
    StatusOr<int> c = reverse ? Compare(keys[b], keys[a], "<") : Compare(keys[a], keys[b], "<");
    if (!c.ok()) {
      error = c.status();
      return false;
    }
    return *c < 0;
  });
  TF_RETURN_IF_ERROR(error);
  return order;
}

StatusOr<Value> SelectOrReject(Interpreter& in, const Value& input, const CallArgs& args,
                               bool select, bool by_attribute) {
  std::vector<Value> positional = args.positional;
  Value attribute;
  if (by_attribute) {
    if (positional.empty())
      return absl::InvalidArgumentError("Missing parameter for attribute name");
    attribute = positional.front();
    positional.erase(positional.begin());
  }
  std::string test_name;
  CallArgs test_args;
  if (!positional.empty()) {
    if (!positional.front().is_string())
      return absl::InvalidArgumentError("test name must be a string");
    test_name = positional.front().string();
    test_args.positional.assign(positional.begin() + 1, positional.end());
    test_args.keyword = args.keyword;
  } else if (!args.keyword.empty()) {
    return absl::InvalidArgumentError("keyword arguments need a test name");
  }
  // Jinja yields nothing for a falsy input (None included) without iterating it.
  std::vector<Value> items;
  if (input.Truthy()) {
    TF_ASSIGN_OR_RETURN(items, Iterate(input));
  }
  std::vector<Value> out;
  for (Value& item : items) {
    Value subject = item;
    if (by_attribute) {
      TF_ASSIGN_OR_RETURN(subject, GetPath(item, attribute, nullptr));
    }
    bool pass = false;
    if (test_name.empty()) {
      pass = subject.Truthy();
    } else {
      TF_ASSIGN_OR_RETURN(pass, in.ApplyTest(test_name, subject, test_args));
    }
    if (pass == select) out.push_back(std::move(item));
  }
  return Value::List(std::move(out));
}

StatusOr<Value> MinMax(const Value& input, const CallArgs& args, bool max) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound,
                      BoundArgs::Bind(max ? "max" : "min", args, {"case_sensitive", "attribute"}));
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  TF_ASSIGN_OR_RETURN(std::vector<Value> keys, SortKeys(items, bound.Get(1), bound.Flag(0, false)));
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    TF_ASSIGN_OR_RETURN(int c, Compare(keys[i], keys[best], max ? ">" : "<"));
    if (max ? c > 0 : c < 0) best = i;
  }
  return items[best];
}

}  // namespace

StatusOr<Value> Length(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("length", args, {}));
  TF_ASSIGN_OR_RETURN(int64_t n, jinja::Length(input));
  return Value::Int(n);
}

StatusOr<Value> First(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("first", args, {}));
  if (input.is_array()) {
    if (input.array().items.empty()) return Value::Undefined("No first item, sequence was empty.");
    return input.array().items.front();
  }
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
  return items.front();
}

StatusOr<Value> Last(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("last", args, {}));
  if (input.is_array()) {
    if (input.array().items.empty()) return Value::Undefined("No last item, sequence was empty.");
    return input.array().items.back();
  }
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
  return items.back();
}

StatusOr<Value> List(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("list", args, {}));
  if (input.is_list()) return input;
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  return Value::List(std::move(items));
}

StatusOr<Value> Join(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("join", args, {"d", "attribute"}));
  TF_ASSIGN_OR_RETURN(std::string separator, ToStrBounded(bound.GetOr(0, Value::String("")),
                                                          in.limits().max_output_bytes));
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value item = items[i];
    if (const Value* attribute = bound.Get(1); attribute != nullptr && !attribute->is_none()) {
      TF_ASSIGN_OR_RETURN(item, GetPath(item, *attribute, nullptr));
    }
    if (i > 0) out += separator;
    TF_ASSIGN_OR_RETURN(std::string text, ToStrBounded(item, in.limits().max_output_bytes));
    out += text;
    if (out.size() > in.limits().max_output_bytes) {
      return absl::ResourceExhaustedError("join() result would exceed the size limit");
    }
  }
  return Value::String(std::move(out));
}

StatusOr<Value> Reverse(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("reverse", args, {}));
  if (input.is_string()) {
    std::vector<char32_t> cps = ToCodePoints(input.string());
    std::reverse(cps.begin(), cps.end());
    return Value::String(FromCodePoints(cps));
  }
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  std::reverse(items.begin(), items.end());
  return Value::List(std::move(items));
}

StatusOr<Value> Sort(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound,
                      BoundArgs::Bind("sort", args, {"reverse", "case_sensitive", "attribute"}));
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  TF_ASSIGN_OR_RETURN(std::vector<Value> keys, SortKeys(items, bound.Get(2), bound.Flag(1, false)));
  TF_ASSIGN_OR_RETURN(std::vector<size_t> order, SortedOrder(keys, bound.Flag(0, false)));
  std::vector<Value> out;
  out.reserve(items.size());
  for (size_t i : order) out.push_back(items[i]);
  return Value::List(std::move(out));
}

StatusOr<Value> Unique(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound,
                      BoundArgs::Bind("unique", args, {"case_sensitive", "attribute"}));
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  if (items.size() > 10'000)
    return absl::ResourceExhaustedError("unique() on more than 10000 items");
  TF_ASSIGN_OR_RETURN(std::vector<Value> keys, SortKeys(items, bound.Get(1), bound.Flag(0, false)));
  std::vector<Value> out;
  std::vector<Value> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    bool duplicate =
        std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return Equals(s, keys[i]); });
    if (duplicate) continue;
    seen.push_back(keys[i]);
    out.push_back(items[i]);
  }
  return Value::List(std::move(out));
}

StatusOr<Value> DictSort(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound,
                      BoundArgs::Bind("dictsort", args, {"case_sensitive", "by", "reverse"}));
  if (!input.is_object())
    return absl::InvalidArgumentError("You can only sort by either a mapping");
  const Value by = bound.GetOr(1, Value::String("key"));
  if (!by.is_string() || (by.string() != "key" && by.string() != "value")) {
    return absl::InvalidArgumentError("You can only sort by either \"key\" or \"value\"");
  }
  std::vector<Value> pairs;
  std::vector<Value> keys;
  for (const auto& [key, value] : input.object().entries) {
    pairs.push_back(Value::Tuple({key, value}));
    keys.push_back(FoldCase(by.string() == "key" ? key : value, bound.Flag(0, false)));
  }
  TF_ASSIGN_OR_RETURN(std::vector<size_t> order, SortedOrder(keys, bound.Flag(2, false)));
  std::vector<Value> out;
  for (size_t i : order) out.push_back(pairs[i]);
  return Value::List(std::move(out));
}

StatusOr<Value> Items(Interpreter&, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("items", args, {}));
  if (input.is_undefined()) return Value::List({});
  if (!input.is_object())
    return absl::InvalidArgumentError("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [key, value] : input.object().entries) out.push_back(Value::Tuple({key, value}));
  return Value::List(std::move(out));
}

StatusOr<Value> Map(Interpreter& in, const Value& input, const CallArgs& args) {
  std::vector<Value> items;
  if (input.Truthy()) {
    TF_ASSIGN_OR_RETURN(items, Iterate(input));
  }
  std::vector<Value> out;
  out.reserve(items.size());
  if (args.positional.empty()) {
    const Value* attribute = nullptr;
    const Value* fallback = nullptr;
    for (const auto& [name, value] : args.keyword) {
      if (name == "attribute") {
        attribute = &value;
      } else if (name == "default") {
        fallback = &value;
      } else {
        return absl::InvalidArgumentError(fmt::format("Unexpected keyword argument '{}'", name));
      }
    }
    if (attribute == nullptr)
      return absl::InvalidArgumentError("map() needs a filter name or attribute=");
    for (const Value& item : items) {
      TF_ASSIGN_OR_RETURN(Value v, GetPath(item, *attribute, fallback));
      out.push_back(std::move(v));
    }
    return Value::List(std::move(out));
  }
  if (!args.positional.front().is_string())
    return absl::InvalidArgumentError("map() filter name must be a string");
  const std::string filter = args.positional.front().string();
  CallArgs filter_args;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  filter_args.keyword = args.keyword;
  for (const Value& item : items) {
    TF_ASSIGN_OR_RETURN(Value v, in.ApplyFilter(filter, item, filter_args));
    out.push_back(std::move(v));
  }
  return Value::List(std::move(out));
}

StatusOr<Value> Select(Interpreter& in, const Value& input, const CallArgs& args) {
  return SelectOrReject(in, input, args, /*select=*/true, /*by_attribute=*/false);
}
StatusOr<Value> Reject(Interpreter& in, const Value& input, const CallArgs& args) {
  return SelectOrReject(in, input, args, /*select=*/false, /*by_attribute=*/false);
}
StatusOr<Value> SelectAttr(Interpreter& in, const Value& input, const CallArgs& args) {
  return SelectOrReject(in, input, args, /*select=*/true, /*by_attribute=*/true);
}
StatusOr<Value> RejectAttr(Interpreter& in, const Value& input, const CallArgs& args) {
  return SelectOrReject(in, input, args, /*select=*/false, /*by_attribute=*/true);
}

StatusOr<Value> Sum(Interpreter& in, const Value& input, const CallArgs& args) {
  TF_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("sum", args, {"attribute", "start"}));
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(input));
  Value total = bound.GetOr(1, Value::Int(0));
  for (const Value& item : items) {
    Value v = item;
    if (const Value* attribute = bound.Get(0); attribute != nullptr && !attribute->is_none()) {
      TF_ASSIGN_OR_RETURN(v, GetPath(item, *attribute, nullptr));
    }
    TF_ASSIGN_OR_RETURN(total,
                        BinaryOperation(BinaryOp::kAdd, total, v, in.limits().max_output_bytes));
  }
  return total;
}

StatusOr<Value> Min(Interpreter&, const Value& input, const CallArgs& args) {
  return MinMax(input, args, false);
}
StatusOr<Value> Max(Interpreter&, const Value& input, const CallArgs& args) {
  return MinMax(input, args, true);
}

}  // namespace tokenfab::tokenizer::jinja::filters
