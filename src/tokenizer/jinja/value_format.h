// How a Value prints: Python's str() and repr() of the Jinja data model (value.h), as Jinja
// renders `{{ value }}` and as filters like `tojson`'s fallbacks and error messages quote values.
#pragma once

#include <cstddef>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

// Python `str(value)` as Jinja prints it: undefined prints as "", none as "None", booleans as
// "True"/"False", floats as repr(), containers as their repr().
std::string ToStr(const Value& value);
// Python `repr(value)`.
std::string ToRepr(const Value& value);
// ToStr, failing (RESOURCE_EXHAUSTED) instead of building a string over `max_bytes`.
[[nodiscard]] StatusOr<std::string> ToStrBounded(const Value& value, size_t max_bytes);
// Python's repr of a float: shortest round-trip digits, "1.0", "1e+16", "inf", "nan".
std::string FloatRepr(double f);

}  // namespace tokenfab::tokenizer::jinja
