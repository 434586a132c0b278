#include "tokenfab/api/api_error.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace tokenfab::api {
namespace {

namespace json = boost::json;

TEST(ApiErrorTest, JsonHasOpenAisShapeWithNulls) {
  ApiError error;
  error.http_status = 400;
  error.message = "bad \"thing\"";
  error.type = "invalid_request_error";
  const json::value v = json::parse(ApiErrorJson(error));
  const json::object& inner = v.at("error").as_object();
  EXPECT_EQ(inner.at("message").as_string(), "bad \"thing\"");
  EXPECT_EQ(inner.at("type").as_string(), "invalid_request_error");
  EXPECT_TRUE(inner.at("param").is_null());
  EXPECT_TRUE(inner.at("code").is_null());
  error.param = "temperature";
  error.code = "x";
  const json::value w = json::parse(ApiErrorJson(error));
  EXPECT_EQ(w.at("error").at("param").as_string(), "temperature");
  EXPECT_EQ(w.at("error").at("code").as_string(), "x");
}

TEST(ApiErrorTest, ResponseCarriesStatusBodyAndRetryAfter) {
  ApiError busy = OverloadedError(429, "queue full", 3);
  net::HttpResponse response = ApiErrorResponse(busy);
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.body, ApiErrorJson(busy));
  EXPECT_EQ(response.headers.Get("Retry-After"), "3");
  busy.retry_after_s = 0;
  EXPECT_FALSE(ApiErrorResponse(busy).headers.Get("Retry-After").has_value());
}

TEST(ApiErrorTest, ParamTravelsWithTheStatus) {
  Status status = InvalidParamError("messages[0].role", "bad role");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "bad role");
  EXPECT_EQ(ErrorParam(status), "messages[0].role");
  EXPECT_FALSE(ErrorParam(absl::InvalidArgumentError("x")).has_value());
  ApiError error = ApiErrorFromStatus(status);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.param, "messages[0].role");
  EXPECT_EQ(error.type, "invalid_request_error");
}

TEST(ApiErrorTest, StatusCodesMapToHttp) {
  EXPECT_EQ(ApiErrorFromStatus(absl::UnauthenticatedError("k")).http_status, 401);
  EXPECT_EQ(ApiErrorFromStatus(absl::UnauthenticatedError("k")).type, "invalid_request_error");
  EXPECT_EQ(ApiErrorForHttpStatus(401, "k").type, "invalid_request_error");
  EXPECT_EQ(ApiErrorFromStatus(absl::NotFoundError("m")).http_status, 404);
  EXPECT_EQ(ApiErrorFromStatus(absl::ResourceExhaustedError("q")).http_status, 429);
  EXPECT_EQ(ApiErrorFromStatus(absl::UnavailableError("u")).http_status, 503);
  EXPECT_EQ(ApiErrorFromStatus(absl::InternalError("i")).http_status, 500);
  EXPECT_EQ(ApiErrorFromStatus(absl::InternalError("i")).type, "server_error");
  EXPECT_EQ(ApiErrorFromStatus(absl::OutOfRangeError("o")).http_status, 400);
}

TEST(ApiErrorTest, TransportStatuses) {
  EXPECT_EQ(ApiErrorForHttpStatus(413, "too big").code, "request_too_large");
  EXPECT_EQ(ApiErrorForHttpStatus(413, "too big").type, "invalid_request_error");
  EXPECT_EQ(ApiErrorForHttpStatus(404, "no").type, "not_found_error");
  EXPECT_EQ(ApiErrorForHttpStatus(503, "busy").type, "service_unavailable");
  EXPECT_EQ(ApiErrorForHttpStatus(502, "x").type, "server_error");
  EXPECT_EQ(ApiErrorForHttpStatus(431, "x").http_status, 431);
}

TEST(ApiErrorTest, NamedErrors) {
  ApiError model = ModelNotFoundError("gpt-9");
  EXPECT_EQ(model.http_status, 404);
  EXPECT_EQ(model.param, "model");
  EXPECT_EQ(model.code, "model_not_found");
  EXPECT_NE(model.message.find("gpt-9"), std::string::npos);
  // A missing and a wrong key: 401 in OpenAI's shape, as the SDKs expect it.
  for (const ApiError& key : {MissingApiKeyError(), InvalidApiKeyError()}) {
    EXPECT_EQ(key.http_status, 401);
    EXPECT_EQ(key.type, "invalid_request_error");
    EXPECT_EQ(key.code, "invalid_api_key");
    EXPECT_TRUE(key.param.empty());
  }
  EXPECT_NE(MissingApiKeyError().message, InvalidApiKeyError().message);
  ApiError made = MakeApiError(503, "no upstream", "server_error", "no_upstream_available", 1);
  EXPECT_EQ(made.http_status, 503);
  EXPECT_EQ(made.type, "server_error");
  EXPECT_EQ(made.code, "no_upstream_available");
  EXPECT_TRUE(made.param.empty());
  EXPECT_EQ(made.retry_after_s, 1);
  ApiError busy = OverloadedError(429, "queue full", 2);
  EXPECT_EQ(busy.http_status, 429);
  EXPECT_EQ(busy.retry_after_s, 2);
  EXPECT_EQ(busy.message, "queue full");
}

}  // namespace
}  // namespace tokenfab::api
