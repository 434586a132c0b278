// The Python methods templates call on values: str (strip/lstrip/rstrip with chars, split and
// rsplit with maxsplit, splitlines, startswith/endswith with tuples, replace, upper, lower,
// title, capitalize, swapcase, format, join, find, rfind, count, is* tests), dict (items, keys,
// values, get) and list (index, count). The mutating methods (append, update, ...) are missing
// on purpose: Hugging Face renders with Jinja's ImmutableSandboxedEnvironment, which refuses them.
// Thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

// `receiver.name` as a bound method value, or nullopt when the receiver's type has no such
// method.
std::optional<Value> LookupMethod(const Value& receiver, std::string_view name);

// Python's str.split(sep, maxsplit) / str.rsplit: `sep` null splits on runs of whitespace.
// REQUIRES: sep is null or non-empty.
std::vector<std::string> SplitString(std::string_view s, const std::string* sep, int64_t maxsplit,
                                     bool from_right);

// Python's str.splitlines(keepends).
std::vector<std::string> SplitLines(std::string_view s, bool keepends);

}  // namespace tokenfab::tokenizer::jinja
