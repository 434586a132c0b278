// Typed reads of the fields of a JSON object from a request body, each check naming the field in
// its error (InvalidParamError). A field that is absent or null is "not given": the read leaves
// the output untouched and succeeds. Numbers may be written as integers or decimals; an integer
// field accepts a decimal only when it is integral (5.0). Never throws.
//
// Not thread-safe (holds a reference to the object); cheap to create.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "tokenfab/base/status.h"

namespace tokenfab::api {

// "a string", "an array", ... for messages.
std::string_view JsonKindName(const boost::json::value& value);

// The value as an int64 when it is an integer (or an integral decimal within range).
std::optional<int64_t> JsonInteger(const boost::json::value& value);

class JsonFields {
 public:
  // `path` prefixes field names in messages ("messages[2]" gives "messages[2].content").
  JsonFields(const boost::json::object& object, std::string path = "")
      : object_(object), path_(std::move(path)) {}

  // The field, or null when absent or JSON null.
  const boost::json::value* Find(std::string_view name) const;
  // The name as messages show it, with the path.
  std::string Name(std::string_view name) const;

  [[nodiscard]] Status Bool(std::string_view name, bool* out) const;
  [[nodiscard]] Status String(std::string_view name, std::string* out) const;
  // Integers in [min, max].
  [[nodiscard]] Status Int(std::string_view name, int64_t min, int64_t max, int64_t* out) const;
  [[nodiscard]] Status Int32(std::string_view name, int32_t min, int32_t max, int32_t* out) const;
  // Finite numbers in [min, max]. Float's bounds must lie within float's range.
  [[nodiscard]] Status Double(std::string_view name, double min, double max, double* out) const;
  [[nodiscard]] Status Float(std::string_view name, double min, double max, float* out) const;

  // A wrong-type error: "'<field>' must be <expected>, not <kind>".
  Status TypeError(std::string_view name, std::string_view expected) const;

 private:
  const boost::json::object& object_;
  std::string path_;
};

}  // namespace tokenfab::api
