#include "tokenfab/api/operator_auth.h"

#include <gtest/gtest.h>

namespace tokenfab::api {
namespace {

net::HttpRequest WithAuthorization(const std::string& value) {
  net::HttpRequest request;
  request.method = "GET";
  request.target = "/metrics";
  if (!value.empty()) request.headers.Set("Authorization", value);
  return request;
}

TEST(OperatorAuthTest, NoTokenConfiguredChecksNothing) {
  EXPECT_FALSE(OperatorAuthError(WithAuthorization(""), "").has_value());
}

TEST(OperatorAuthTest, MissingOrWrongTokenIs401AndTheRightOnePasses) {
  const std::optional<ApiError> missing = OperatorAuthError(WithAuthorization(""), "op-token");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->http_status, 401);
  const std::optional<ApiError> wrong =
      OperatorAuthError(WithAuthorization("Bearer op-tokem"), "op-token");
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->http_status, 401);
  EXPECT_TRUE(OperatorAuthError(WithAuthorization("Bearer op-token-longer"), "op-token"));
  EXPECT_FALSE(OperatorAuthError(WithAuthorization("Bearer op-token"), "op-token").has_value());
}

TEST(OperatorAuthTest, BasicAuthPasswordIsTheToken) {
  // "ops:op-token" and "ops:wrong" in base64: how a browser sends what its user typed.
  EXPECT_FALSE(OperatorAuthError(WithAuthorization("Basic b3BzOm9wLXRva2Vu"), "op-token"));
  EXPECT_TRUE(OperatorAuthError(WithAuthorization("Basic b3BzOndyb25n"), "op-token"));
  EXPECT_TRUE(OperatorAuthError(WithAuthorization("Basic !!!"), "op-token"));
}

}  // namespace
}  // namespace tokenfab::api
