// How Values compare: Python's ==, <, and hashability, over the Jinja data model (value.h).
#pragma once

#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

// Python `==`: numbers by value across int/float/bool, lists and tuples item by item (a list is
// never equal to a tuple), dicts by content regardless of order, undefined equal only to
// undefined, namespaces and callables by identity.
bool Equals(const Value& a, const Value& b);

// Python `<` etc. for numbers, strings (code point order) and same-kind sequences. Returns -1, 0
// or 1; an error for kinds Python cannot order ("'<' not supported between instances of ...").
StatusOr<int> Compare(const Value& a, const Value& b, std::string_view op);

// Python hashability: scalars, strings, tuples of hashables, namespaces and callables (not
// lists or dicts).
bool IsHashable(const Value& value);

}  // namespace tokenfab::tokenizer::jinja
