#include "json_fields.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "tokenfab/api/api_error.h"

namespace tokenfab::api {

namespace json = boost::json;

std::string_view JsonKindName(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::optional<int64_t> JsonInteger(const json::value& value) {
  if (const int64_t* i = value.if_int64()) return *i;
  if (const uint64_t* u = value.if_uint64()) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  if (const double* d = value.if_double()) {
    // 2^63 is the first double past int64's range.
    if (std::isfinite(*d) && std::trunc(*d) == *d && *d >= -9.2233720368547758e18 &&
        *d < 9.2233720368547758e18) {
      return static_cast<int64_t>(*d);
    }
  }
  return std::nullopt;
}

const json::value* JsonFields::Find(std::string_view name) const {
  const json::value* value = object_.if_contains(name);
  if (value == nullptr || value->is_null()) return nullptr;
  return value;
}

std::string JsonFields::Name(std::string_view name) const {
  return path_.empty() ? std::string(name) : fmt::format("{}.{}", path_, name);
}

Status JsonFields::TypeError(std::string_view name, std::string_view expected) const {
  const json::value* value = Find(name);
  const std::string field = Name(name);
  return InvalidParamError(field, fmt::format("'{}' must be {}, not {}", field, expected,
                                              value ? JsonKindName(*value) : "null"));
}

Status JsonFields::Bool(std::string_view name, bool* out) const {
  const json::value* value = Find(name);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_bool()) return TypeError(name, "a boolean");
  *out = value->get_bool();
  return absl::OkStatus();
}

Status JsonFields::String(std::string_view name, std::string* out) const {
  const json::value* value = Find(name);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) return TypeError(name, "a string");
  *out = std::string(value->get_string());
  return absl::OkStatus();
}

Status JsonFields::Int(std::string_view name, int64_t min, int64_t max, int64_t* out) const {
  const json::value* value = Find(name);
  if (value == nullptr) return absl::OkStatus();
  std::optional<int64_t> i = JsonInteger(*value);
  if (!i.has_value()) {
    if (!value->is_number()) return TypeError(name, "an integer");
    // A number, but no int64: a decimal with a fraction, a non-finite value, or a whole number
    // beyond int64's range (1e300, 2^64 - 1), which is out of any integer field's range.
    const std::string field = Name(name);
    const double d = value->to_number<double>();
    if (std::isfinite(d) && std::trunc(d) == d) {
      return InvalidParamError(field, fmt::format("'{}' must be in [{}, {}], got {}", field, min,
                                                  max, json::serialize(*value)));
    }
    return InvalidParamError(
        field, fmt::format("'{}' must be an integer, got {}", field, json::serialize(*value)));
  }
  if (*i < min || *i > max) {
    const std::string field = Name(name);
    return InvalidParamError(field,
                             fmt::format("'{}' must be in [{}, {}], got {}", field, min, max, *i));
  }
  *out = *i;
  return absl::OkStatus();
}

Status JsonFields::Int32(std::string_view name, int32_t min, int32_t max, int32_t* out) const {
  int64_t value = *out;
  TF_RETURN_IF_ERROR(Int(name, min, max, &value));
  *out = static_cast<int32_t>(value);
  return absl::OkStatus();
}

Status JsonFields::Double(std::string_view name, double min, double max, double* out) const {
  const json::value* value = Find(name);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_number()) return TypeError(name, "a number");
  const double d = value->to_number<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    const std::string field = Name(name);
    return InvalidParamError(field, fmt::format("'{}' must be in [{}, {}], got {}", field, min, max,
                                                json::serialize(*value)));
  }
  *out = d;
  return absl::OkStatus();
}

Status JsonFields::Float(std::string_view name, double min, double max, float* out) const {
  double d = *out;
  TF_RETURN_IF_ERROR(Double(name, min, max, &d));
  *out = static_cast<float>(d);
  return absl::OkStatus();
}

}  // namespace tokenfab::api
