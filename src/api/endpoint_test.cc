#include "tokenfab/api/endpoint.h"

#include <gtest/gtest.h>

namespace tokenfab::api {
namespace {

TEST(EndpointTest, PathsAreOpenAis) {
  EXPECT_EQ(EndpointPath(Endpoint::kCompletions), "/v1/completions");
  EXPECT_EQ(EndpointPath(Endpoint::kChatCompletions), "/v1/chat/completions");
}

TEST(EndpointTest, NamesParseBack) {
  EXPECT_EQ(EndpointName(Endpoint::kCompletions), "completions");
  EXPECT_EQ(EndpointName(Endpoint::kChatCompletions), "chat");
  for (Endpoint endpoint : {Endpoint::kCompletions, Endpoint::kChatCompletions}) {
    StatusOr<Endpoint> parsed = ParseEndpointName(EndpointName(endpoint));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, endpoint);
  }
  EXPECT_EQ(ParseEndpointName("chat/completions").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseEndpointName("").ok());
}

}  // namespace
}  // namespace tokenfab::api
