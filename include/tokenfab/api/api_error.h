// ApiError: an error answered to an OpenAI API client, in OpenAI's shape
//
//   HTTP 400  {"error": {"message": "...", "type": "invalid_request_error",
//                        "param": "temperature", "code": null}}
//
// The one builder of error answers for every service (node, gateway): ApiErrorJson() writes the
// body (also sent as an SSE event when a stream fails midway), ApiErrorResponse() the whole HTTP
// answer with its Retry-After.
//
// so that the official SDKs raise their typed errors (BadRequestError, AuthenticationError,
// NotFoundError, RateLimitError, InternalServerError, ...) with our message. Inside the layers an
// error travels as a Status; InvalidParamError() attaches the request field it concerns as a
// Status payload, and ApiErrorFromStatus() turns any Status into the answer (HTTP status, type,
// param, code). Plain values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/net/http_message.h"

namespace tokenfab::api {

struct ApiError {
  int http_status = 500;
  std::string message;  // for people; the SDKs show it
  std::string type;     // "invalid_request_error", "rate_limit_error", "server_error", ...
  std::string param;    // the request field at fault ("messages[1].content"); empty: null
  std::string code;     // a machine-readable code ("model_not_found"); empty: null
  // Seconds after which the client may retry (the `Retry-After` field); 0: none.
  int retry_after_s = 0;
};

// {"error": {"message": ..., "type": ..., "param": ... | null, "code": ... | null}}.
std::string ApiErrorJson(const ApiError& error);

// The HTTP answer: error.http_status, the JSON body, and `Retry-After` when retry_after_s > 0.
net::HttpResponse ApiErrorResponse(const ApiError& error);

// InvalidArgument carrying `param`, the field at fault, as its payload.
[[nodiscard]] Status InvalidParamError(std::string_view param, std::string_view message);
// The field a Status names (set by InvalidParamError), if any.
std::optional<std::string> ErrorParam(const Status& status);

// An error of the given status, type and code (empty: null), and no param.
ApiError MakeApiError(int http_status, std::string_view message, std::string_view type,
                      std::string_view code = {}, int retry_after_s = 0);

// The answer for a failed Status:
//   InvalidArgument, OutOfRange, FailedPrecondition  400 invalid_request_error (param from the
//                                                    payload)
//   Unauthenticated     401 invalid_request_error, code invalid_api_key (what OpenAI answers)
//   PermissionDenied    403 permission_error
//   NotFound            404 not_found_error
//   ResourceExhausted   429 rate_limit_error, code rate_limit_exceeded
//   Unavailable, DeadlineExceeded  503 service_unavailable
//   anything else       500 server_error
// REQUIRES: !status.ok().
ApiError ApiErrorFromStatus(const Status& status);

// The answer for an HTTP status chosen by the transport itself (413 body too large, 431 header
// too large, 404 no route, 405, 408, 503 overloaded ...), with `message`.
ApiError ApiErrorForHttpStatus(int http_status, std::string_view message);

// Common errors, named so their messages stay consistent.
ApiError ModelNotFoundError(std::string_view model);  // 404, param model, code model_not_found
// 401 invalid_request_error, code invalid_api_key, as OpenAI answers: no key presented, or a key
// that is not valid. The node and the gateway answer both the same way.
ApiError MissingApiKeyError();
ApiError InvalidApiKeyError();
// 429 (full queue) or 503 (not ready), with Retry-After.
ApiError OverloadedError(int http_status, std::string_view message, int retry_after_s);

}  // namespace tokenfab::api
