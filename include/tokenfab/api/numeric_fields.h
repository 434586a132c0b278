// The numeric (and boolean) top-level fields of the inference request bodies, with the range
// each must be in: one table that the node's parser (completion_request.h) and the gateway's
// (which reads only a few fields and passes the rest on) both check, so a value out of range,
// a decimal where an integer is needed, a non-finite or huge number (1e300 in max_tokens), or a
// value of the wrong kind is refused before it is ever converted, with a 400 naming the field.
//
// Plain data and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <boost/json/object.hpp>

#include "tokenfab/api/endpoint.h"
#include "tokenfab/base/status.h"

namespace tokenfab::api {

enum class FieldKind {
  kInteger,  // an integer in [int_min, int_max]; an integral decimal (5.0) counts
  kNumber,   // a finite number in [min, max]; `exclusive_min`: min itself is refused
  kBoolean,  // true or false
};

// Which request bodies carry a field.
enum class FieldScope { kBoth, kChat, kCompletions };

struct NumericField {
  std::string_view name;
  FieldKind kind;
  FieldScope scope;
  int64_t int_min = 0;  // kInteger
  int64_t int_max = 0;
  double min = 0;  // kNumber
  double max = 0;
  bool exclusive_min = false;
};

// Every checked field of /v1/chat/completions and /v1/completions. `n` is bounded by OpenAI's
// 128 here; a node may allow fewer (RequestLimits::max_n).
std::span<const NumericField> InferenceNumericFields();

// Checks each field of the table that `body` carries for `endpoint` (absent or null: not
// given). The first failure is an InvalidArgument whose message names the field and which
// carries it as its param (InvalidParamError).
[[nodiscard]] Status CheckNumericFields(Endpoint endpoint, const boost::json::object& body);

// An integer given as text (a query parameter such as `limit`): decimal digits with an optional
// sign, in [min, max]. Anything else, overflow included, is an InvalidArgument naming `name`.
[[nodiscard]] StatusOr<int64_t> ParseIntegerParam(std::string_view name, std::string_view text,
                                                  int64_t min, int64_t max);

}  // namespace tokenfab::api
