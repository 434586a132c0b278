#include "tokenfab/api/numeric_fields.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tokenfab/api/api_error.h"
#include "tokenfab/api/completion_request.h"

namespace tokenfab::api {
namespace {

namespace json = boost::json;

std::vector<Endpoint> EndpointsOf(const NumericField& field) {
  switch (field.scope) {
    case FieldScope::kChat:
      return {Endpoint::kChatCompletions};
    case FieldScope::kCompletions:
      return {Endpoint::kCompletions};
    case FieldScope::kBoth:
      break;
  }
  return {Endpoint::kChatCompletions, Endpoint::kCompletions};
}

// A valid body for `endpoint` with `field` set to `value` (JSON text).
std::string Body(Endpoint endpoint, std::string_view field, std::string_view value) {
  const char* base = endpoint == Endpoint::kChatCompletions
                         ? R"("messages": [{"role": "user", "content": "hi"}])"
                         : R"("prompt": "hi")";
  return fmt::format(R"({{"model": "m", {}, "{}": {}}})", base, field, value);
}

// Values each kind refuses: wrong kinds, non-integral, huge, beyond the range.
std::vector<std::string> BadValues(const NumericField& f) {
  switch (f.kind) {
    case FieldKind::kBoolean:
      return {"1", "0", "\"true\"", "[]"};
    case FieldKind::kInteger: {
      std::vector<std::string> bad = {
          "1e300", "-1e300", "0.5", "\"5\"", "true", "{}", "18446744073709551615", "1.0000001"};
      if (f.int_max < std::numeric_limits<int64_t>::max())
        bad.push_back(fmt::format("{}", f.int_max + 1));
      if (f.int_min > std::numeric_limits<int64_t>::min())
        bad.push_back(fmt::format("{}", f.int_min - 1));
      return bad;
    }
    case FieldKind::kNumber: {
      std::vector<std::string> bad = {
          "1e300", "-1e300", "\"0.5\"",
          "true",  "[1]",    fmt::format("{}", f.max + std::abs(f.max) * 0.01 + 0.01)};
      bad.push_back(f.exclusive_min ? fmt::format("{}", f.min)
                                    : fmt::format("{}", f.min - std::abs(f.min) * 0.01 - 0.01));
      return bad;
    }
  }
  return {};
}

void ExpectNamed(const Status& status, std::string_view field, std::string_view context) {
  ASSERT_FALSE(status.ok()) << context;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << context;
  EXPECT_EQ(ErrorParam(status).value_or("<none>"), field) << context << ": " << status;
  EXPECT_NE(std::string(status.message()).find(fmt::format("'{}'", field)), std::string::npos)
      << context << ": " << status;
  const ApiError error = ApiErrorFromStatus(status);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.param, field);
  EXPECT_EQ(error.type, "invalid_request_error");
}

// Walks the table: every bad value of every field is a 400 naming the field, from the table's
// check and from the node's whole parser.
TEST(NumericFieldsTest, EveryFieldRefusesItsBadValuesNamingItself) {
  int cases = 0;
  for (const NumericField& field : InferenceNumericFields()) {
    for (Endpoint endpoint : EndpointsOf(field)) {
      for (const std::string& value : BadValues(field)) {
        const std::string body = Body(endpoint, field.name, value);
        const json::object object = json::parse(body).as_object();
        ExpectNamed(CheckNumericFields(endpoint, object), field.name, body);
        StatusOr<CompletionRequest> parsed = ParseCompletionRequest(endpoint, body);
        ExpectNamed(parsed.status(), field.name, body);
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 100);
}

TEST(NumericFieldsTest, EveryFieldTakesTheEndsOfItsRange) {
  for (const NumericField& field : InferenceNumericFields()) {
    std::vector<json::value> good;
    switch (field.kind) {
      case FieldKind::kBoolean:
        good = {true, false, nullptr};
        break;
      case FieldKind::kInteger:
        good = {field.int_min, field.int_max,
                static_cast<double>(std::max<int64_t>(field.int_min, 1))};
        break;
      case FieldKind::kNumber:
        good = {field.max, field.exclusive_min ? field.min + 1e-6 : field.min};
        break;
    }
    for (Endpoint endpoint : EndpointsOf(field)) {
      for (const json::value& value : good) {
        json::object body{{"model", "m"}};
        body[field.name] = value;
        EXPECT_TRUE(CheckNumericFields(endpoint, body).ok())
            << field.name << " = " << json::serialize(value);
      }
    }
  }
}

// Values JSON text cannot carry but a caller's object can: NaN and infinities.
TEST(NumericFieldsTest, NonFiniteNumbersAreRefused) {
  for (const NumericField& field : InferenceNumericFields()) {
    if (field.kind == FieldKind::kBoolean) continue;
    for (double value : {std::nan(""), std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()}) {
      for (Endpoint endpoint : EndpointsOf(field)) {
        json::object body{{"model", "m"}};
        body[field.name] = value;
        ExpectNamed(CheckNumericFields(endpoint, body), field.name, field.name);
      }
    }
  }
}

TEST(NumericFieldsTest, AFieldOfTheOtherEndpointIsNotChecked) {
  // `echo` is a completions field; a chat body may carry anything under that name.
  json::object chat{{"model", "m"}, {"echo", 5}};
  EXPECT_TRUE(CheckNumericFields(Endpoint::kChatCompletions, chat).ok());
  // `logprobs` is a boolean in chat and an integer in completions.
  json::object logprobs{{"model", "m"}, {"logprobs", true}};
  EXPECT_TRUE(CheckNumericFields(Endpoint::kChatCompletions, logprobs).ok());
  ExpectNamed(CheckNumericFields(Endpoint::kCompletions, logprobs), "logprobs", "completions");
  logprobs["logprobs"] = 5;
  ExpectNamed(CheckNumericFields(Endpoint::kChatCompletions, logprobs), "logprobs", "chat");
  EXPECT_TRUE(CheckNumericFields(Endpoint::kCompletions, logprobs).ok());
}

TEST(NumericFieldsTest, MessagesSayWhatWasWrong) {
  json::object body{{"model", "m"}, {"max_tokens", 1e300}};
  EXPECT_EQ(CheckNumericFields(Endpoint::kCompletions, body).message(),
            "'max_tokens' must be in [1, 2147483647], got 1E300");
  body["max_tokens"] = 2.5;
  EXPECT_EQ(CheckNumericFields(Endpoint::kCompletions, body).message(),
            "'max_tokens' must be an integer, got 2.5E0");
  body = {{"model", "m"}, {"top_p", 0}};
  EXPECT_EQ(CheckNumericFields(Endpoint::kCompletions, body).message(),
            "'top_p' must be in (0, 1], got 0");
  body = {{"model", "m"}, {"n", true}};
  EXPECT_EQ(CheckNumericFields(Endpoint::kCompletions, body).message(),
            "'n' must be an integer, not a boolean");
}

TEST(NumericFieldsTest, IntegerParamsAreParsedWhole) {
  EXPECT_EQ(*ParseIntegerParam("limit", "20", 1, 100), 20);
  EXPECT_EQ(*ParseIntegerParam("limit", "+1", 1, 100), 1);
  EXPECT_EQ(*ParseIntegerParam("limit", "100", 1, 100), 100);
  for (const char* bad : {"", "0", "101", "-5", "1.5", "1e2", "20x", " 20", "+", "+-1",
                          "99999999999999999999999", "abc"}) {
    StatusOr<int64_t> r = ParseIntegerParam("limit", bad, 1, 100);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorParam(r.status()).value_or("<none>"), "limit") << bad;
    EXPECT_EQ(ApiErrorFromStatus(r.status()).http_status, 400);
  }
}

}  // namespace
}  // namespace tokenfab::api
