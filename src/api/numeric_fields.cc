#include "tokenfab/api/numeric_fields.h"

#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "json_fields.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::api {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr double kFloatMax = std::numeric_limits<float>::max();

constexpr NumericField Integer(std::string_view name, FieldScope scope, int64_t min, int64_t max) {
  return {name, FieldKind::kInteger, scope, min, max, 0, 0, false};
}
constexpr NumericField Number(std::string_view name, double min, double max,
                              bool exclusive_min = false) {
  return {name, FieldKind::kNumber, FieldScope::kBoth, 0, 0, min, max, exclusive_min};
}
constexpr NumericField Boolean(std::string_view name, FieldScope scope) {
  return {name, FieldKind::kBoolean, scope, 0, 0, 0, 0, false};
}

constexpr NumericField kFields[] = {
    Integer("max_tokens", FieldScope::kBoth, 1, kInt32Max),
    Integer("max_completion_tokens", FieldScope::kChat, 1, kInt32Max),
    Integer("n", FieldScope::kBoth, 1, 128),
    Integer("best_of", FieldScope::kCompletions, 1, 128),
    Integer("min_tokens", FieldScope::kBoth, 0, kInt32Max),
    Integer("top_k", FieldScope::kBoth, -1, kInt32Max),
    Integer("seed", FieldScope::kBoth, kInt64Min, kInt64Max),
    Integer("top_logprobs", FieldScope::kChat, 0, engine::kMaxTopLogprobs),
    Integer("logprobs", FieldScope::kCompletions, 0, engine::kMaxTopLogprobs),
    Number("temperature", 0, kFloatMax),
    Number("top_p", 0, 1, /*exclusive_min=*/true),
    Number("min_p", 0, 1),
    Number("presence_penalty", -2, 2),
    Number("frequency_penalty", -2, 2),
    Number("repetition_penalty", 0, kFloatMax, /*exclusive_min=*/true),
    Boolean("stream", FieldScope::kBoth),
    Boolean("ignore_eos", FieldScope::kBoth),
    Boolean("logprobs", FieldScope::kChat),
    Boolean("echo", FieldScope::kCompletions),
};

bool Applies(FieldScope scope, Endpoint endpoint) {
  switch (scope) {
    case FieldScope::kBoth:
      return true;
    case FieldScope::kChat:
      return endpoint == Endpoint::kChatCompletions;
    case FieldScope::kCompletions:
      return endpoint == Endpoint::kCompletions;
  }
  return false;
}

Status CheckField(const JsonFields& fields, const NumericField& field) {
  switch (field.kind) {
    case FieldKind::kInteger: {
      int64_t value = 0;
      return fields.Int(field.name, field.int_min, field.int_max, &value);
    }
    case FieldKind::kNumber: {
      double value = 0;
      TF_RETURN_IF_ERROR(fields.Double(field.name, field.min, field.max, &value));
      if (field.exclusive_min && fields.Find(field.name) != nullptr && value <= field.min) {
        return InvalidParamError(field.name, fmt::format("'{}' must be in ({}, {}], got {}",
                                                         field.name, field.min, field.max, value));
      }
      return absl::OkStatus();
    }
    case FieldKind::kBoolean: {
      bool value = false;
      return fields.Bool(field.name, &value);
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::span<const NumericField> InferenceNumericFields() { return kFields; }

Status CheckNumericFields(Endpoint endpoint, const boost::json::object& body) {
  const JsonFields fields(body);
  for (const NumericField& field : kFields) {
    if (!Applies(field.scope, endpoint)) continue;
    TF_RETURN_IF_ERROR(CheckField(fields, field));
  }
  return absl::OkStatus();
}

StatusOr<int64_t> ParseIntegerParam(std::string_view name, std::string_view text, int64_t min,
                                    int64_t max) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
  auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return InvalidParamError(
        name, fmt::format("'{}' must be an integer in [{}, {}], got '{}'", name, min, max, text));
  }
  return value;
}

}  // namespace tokenfab::api
