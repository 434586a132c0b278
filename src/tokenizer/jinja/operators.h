// The operations expressions are made of, with Python's semantics and the attribute rules of
// Jinja's ImmutableSandboxedEnvironment: arithmetic, comparison, membership, attribute and item
// access, slicing, iteration and len(). Errors are plain messages (the interpreter adds the
// position); using an undefined value where Python Jinja2 raises UndefinedError gives the undefined
// value's hint
// ("'foo' is undefined"). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

// The error raised when `value` (undefined) is used as an operand or container.
Status UndefinedError(const Value& value);

// a op b. `max_string_bytes` bounds strings and lists the operation builds ('x' * n, [x] * n).
[[nodiscard]] StatusOr<Value> BinaryOperation(BinaryOp op, const Value& a, const Value& b,
                                              size_t max_string_bytes);

// a op b for ==, !=, <, <=, >, >=, in, not in.
[[nodiscard]] StatusOr<bool> CompareOperation(CompareOp op, const Value& a, const Value& b);

// needle in container (substring, list item, dict key; undefined contains nothing).
[[nodiscard]] StatusOr<bool> Contains(const Value& container, const Value& needle);

// obj.name: a method of str/dict/list, a dict key, a namespace attribute; undefined when missing.
[[nodiscard]] StatusOr<Value> GetAttr(const Value& obj, std::string_view name);

// obj[key]: list/str index (negative from the end), dict key, then attribute; undefined when
// missing.
[[nodiscard]] StatusOr<Value> GetItem(const Value& obj, const Value& key);

// obj[start:stop:step] for lists, tuples and strings (null arguments are omitted parts).
[[nodiscard]] StatusOr<Value> SliceValue(const Value& obj, const Value* start, const Value* stop,
                                         const Value* step);

// Most items Iterate() produces from a string or dict (a template iterating the characters of a
// huge string would otherwise allocate a value per character).
inline constexpr size_t kMaxIterationItems = 1'000'000;

// The items `for x in value` visits: list items, the characters of a string, the keys of a dict;
// nothing for undefined.
[[nodiscard]] StatusOr<std::vector<Value>> Iterate(const Value& value);

// Python len(): code points of a string, items of a list, keys of a dict, 0 for undefined.
[[nodiscard]] StatusOr<int64_t> Length(const Value& value);

}  // namespace tokenfab::tokenizer::jinja
