// JSON in and out of Jinja values: ToJson is Python's json.dumps (what Hugging Face's `tojson`
// filter calls: ensure_ascii=False by default, separators ", " and ": ", optional indent and
// sort_keys); ParseJsonValue turns JSON text (messages, tools, extra context) into Values.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

struct JsonOptions {
  bool ensure_ascii = false;
  // null: one line. Otherwise a newline and this string repeated per level before each item
  // (Python turns indent=N into N spaces).
  std::optional<std::string> indent;
  // Python's separators=(item, key); defaults to (", ", ": "), or (",", ": ") with an indent.
  std::optional<std::string> item_separator;
  std::optional<std::string> key_separator;
  bool sort_keys = false;
  // Output past this many bytes is an error (RESOURCE_EXHAUSTED).
  size_t max_bytes = SIZE_MAX;
};

// json.dumps(value). Undefined, namespaces and callables are errors ("Object of type Undefined
// is not JSON serializable"), as in Python.
[[nodiscard]] StatusOr<std::string> ToJson(const Value& value, const JsonOptions& options);

// Parses JSON text into a Value: objects keep their key order, integers that fit int64 are ints,
// other numbers floats. Nesting deeper than kMaxValueNesting is an error.
[[nodiscard]] StatusOr<Value> ParseJsonValue(std::string_view text);

}  // namespace tokenfab::tokenizer::jinja
