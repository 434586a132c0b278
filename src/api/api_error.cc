#include "tokenfab/api/api_error.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "absl/strings/cord.h"

namespace tokenfab::api {
namespace {

namespace json = boost::json;

// The payload key under which InvalidParamError() stores the field name.
constexpr std::string_view kParamPayload = "type.tokenfab.dev/api.param";

json::value StringOrNull(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::value(s);
}

ApiError Make(int http_status, std::string_view message, std::string_view type,
              std::string_view param = {}, std::string_view code = {}) {
  ApiError error;
  error.http_status = http_status;
  error.message = std::string(message);
  error.type = std::string(type);
  error.param = std::string(param);
  error.code = std::string(code);
  return error;
}

}  // namespace

ApiError MakeApiError(int http_status, std::string_view message, std::string_view type,
                      std::string_view code, int retry_after_s) {
  ApiError error = Make(http_status, message, type, {}, code);
  error.retry_after_s = retry_after_s;
  return error;
}

std::string ApiErrorJson(const ApiError& error) {
  json::object inner;
  inner["message"] = error.message;
  inner["type"] = error.type;
  inner["param"] = StringOrNull(error.param);
  inner["code"] = StringOrNull(error.code);
  json::object outer;
  outer["error"] = std::move(inner);
  return json::serialize(outer);
}

net::HttpResponse ApiErrorResponse(const ApiError& error) {
  net::HttpResponse response = net::HttpResponse::Json(error.http_status, ApiErrorJson(error));
  if (error.retry_after_s > 0) {
    response.headers.Set("Retry-After", std::to_string(error.retry_after_s));
  }
  return response;
}

Status InvalidParamError(std::string_view param, std::string_view message) {
  Status status = absl::InvalidArgumentError(absl::string_view(message.data(), message.size()));
  status.SetPayload(absl::string_view(kParamPayload.data(), kParamPayload.size()),
                    absl::Cord(absl::string_view(param.data(), param.size())));
  return status;
}

std::optional<std::string> ErrorParam(const Status& status) {
  auto payload =
      status.GetPayload(absl::string_view(kParamPayload.data(), kParamPayload.size()));
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

ApiError ApiErrorFromStatus(const Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return Make(400, message, "invalid_request_error", ErrorParam(status).value_or(""));
    case absl::StatusCode::kUnauthenticated:
      return Make(401, message, "invalid_request_error", {}, "invalid_api_key");
    case absl::StatusCode::kPermissionDenied:
      return Make(403, message, "permission_error");
    case absl::StatusCode::kNotFound:
      return Make(404, message, "not_found_error");
    case absl::StatusCode::kResourceExhausted:
      return Make(429, message, "rate_limit_error", {}, "rate_limit_exceeded");
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return Make(503, message, "service_unavailable");
    default:
      return Make(500, message, "server_error");
  }
}

ApiError ApiErrorForHttpStatus(int http_status, std::string_view message) {
  switch (http_status) {
    case 400:
    case 405:
    case 408:
    case 431:
      return Make(http_status, message, "invalid_request_error");
    case 401:
      return Make(401, message, "invalid_request_error", {}, "invalid_api_key");
    case 404:
      return Make(404, message, "not_found_error");
    case 413:
      return Make(413, message, "invalid_request_error", {}, "request_too_large");
    case 429:
      return Make(429, message, "rate_limit_error", {}, "rate_limit_exceeded");
    case 503:
      return Make(503, message, "service_unavailable");
    default:
      return Make(http_status, message, http_status >= 500 ? "server_error" : "invalid_request_error");
  }
}

ApiError ModelNotFoundError(std::string_view model) {
  return Make(
      404, "The model '" + std::string(model) + "' does not exist or you do not have access to it.",
      "invalid_request_error", "model", "model_not_found");
}

ApiError MissingApiKeyError() {
  return Make(401, "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
              "invalid_request_error", {}, "invalid_api_key");
}

ApiError InvalidApiKeyError() {
  return Make(401, "Incorrect API key provided.", "invalid_request_error", {}, "invalid_api_key");
}

ApiError OverloadedError(int http_status, std::string_view message, int retry_after_s) {
  ApiError error = ApiErrorForHttpStatus(http_status, message);
  error.retry_after_s = retry_after_s;
  return error;
}

}  // namespace tokenfab::api
