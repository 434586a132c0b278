#include "tokenfab/api/bearer_token.h"

#include <gtest/gtest.h>

namespace tokenfab::api {
namespace {

TEST(BearerTokenTest, ReadsTheToken) { EXPECT_EQ(ParseBearerToken("Bearer sk-abc"), "sk-abc"); }

TEST(BearerTokenTest, SchemeIsCaseInsensitive) {
  EXPECT_EQ(ParseBearerToken("bearer sk-abc"), "sk-abc");
  EXPECT_EQ(ParseBearerToken("BEARER sk-abc"), "sk-abc");
  EXPECT_EQ(ParseBearerToken("bEaReR sk-abc"), "sk-abc");
}

TEST(BearerTokenTest, WhitespaceAroundTheTokenIsIgnored) {
  EXPECT_EQ(ParseBearerToken("Bearer  sk-abc"), "sk-abc");
  EXPECT_EQ(ParseBearerToken("Bearer\tsk-abc"), "sk-abc");
  EXPECT_EQ(ParseBearerToken("Bearer sk-abc  "), "sk-abc");
  EXPECT_EQ(ParseBearerToken("  Bearer sk-abc"), "sk-abc");
}

TEST(BearerTokenTest, NoTokenIsNone) {
  EXPECT_EQ(ParseBearerToken(""), std::nullopt);
  EXPECT_EQ(ParseBearerToken("Bearer"), std::nullopt);
  EXPECT_EQ(ParseBearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(ParseBearerToken("Bearer   \t "), std::nullopt);
}

TEST(BearerTokenTest, OtherSchemesAreNone) {
  EXPECT_EQ(ParseBearerToken("Basic dXNlcjpwYXNz"), std::nullopt);
  EXPECT_EQ(ParseBearerToken("Bearersk-abc"), std::nullopt);  // no separator
  EXPECT_EQ(ParseBearerToken("sk-abc"), std::nullopt);        // a bare key
  EXPECT_EQ(ParseBearerToken("Bear sk-abc"), std::nullopt);
}

TEST(BearerTokenTest, ATokenWithSpaceInsideIsNone) {
  EXPECT_EQ(ParseBearerToken("Bearer sk abc"), std::nullopt);
}

}  // namespace
}  // namespace tokenfab::api
