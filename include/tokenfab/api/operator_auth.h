// Operator authentication: the operations endpoints (/load, /fleet, /metrics, the dashboard and
// its data, admin routes) of nodes and gateways answer only a caller that sends the deployment's
// operator token as `Authorization: Bearer <token>`, or as the password of HTTP Basic
// authentication (any user name), which is how a browser opening the dashboard sends it.
// Tenants' API keys are not operator tokens.
//
// With no token configured the routes stay open (a loopback `tokenfab serve`, tests); the
// commands log a warning at start when they listen that way.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tokenfab/api/api_error.h"
#include "tokenfab/base/status.h"
#include "tokenfab/net/http_message.h"

namespace tokenfab::api {

// The environment variable the commands read the operator token from when no
// --operator-token-file is given.
inline constexpr std::string_view kOperatorTokenEnv = "TOKENFAB_OPERATOR_TOKEN";

// The 401 for `request` when `token` is set and the request does not carry it (Bearer or Basic;
// compared in constant time); nullopt when it does, or when `token` is empty (no check).
std::optional<ApiError> OperatorAuthError(const net::HttpRequest& request, std::string_view token);

// The operator token a command runs with: the contents of `file` when given, else the value of
// kOperatorTokenEnv when set, else "" (no check). Errors: an unreadable or empty file, an empty
// variable.
[[nodiscard]] StatusOr<std::string> LoadOperatorToken(const std::string& file);

}  // namespace tokenfab::api
