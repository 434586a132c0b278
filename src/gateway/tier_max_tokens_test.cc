#include "tier_max_tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/api/api_error.h"

namespace tokenfab::gateway {
namespace {

InferenceRequest Parse(api::Endpoint endpoint, const char* body) {
  StatusOr<InferenceRequest> r = ParseInferenceRequest(endpoint, body);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : InferenceRequest();
}

ledger::Tier Capped(int64_t max_tokens) {
  ledger::Tier tier;
  tier.name = "free";
  tier.max_tokens = max_tokens;
  return tier;
}

TEST(TierMaxTokensTest, AboveTheCapIsA400NamingTheFieldUsed) {
  InferenceRequest chat = Parse(api::Endpoint::kChatCompletions,
                                R"({"model": "m", "max_completion_tokens": 513,
                                    "messages": [{"role": "user", "content": "x"}]})");
  Status status = ApplyTierMaxTokens(Capped(512), chat);
  ASSERT_FALSE(status.ok());
  const api::ApiError error = api::ApiErrorFromStatus(status);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.param, "max_completion_tokens");
  EXPECT_THAT(error.message, testing::HasSubstr("at most 512"));

  InferenceRequest completion =
      Parse(api::Endpoint::kCompletions, R"({"model": "m", "prompt": "x", "max_tokens": 600})");
  EXPECT_EQ(api::ErrorParam(ApplyTierMaxTokens(Capped(512), completion)), "max_tokens");
}

TEST(TierMaxTokensTest, AtTheCapPassesUntouched) {
  InferenceRequest r =
      Parse(api::Endpoint::kCompletions, R"({"model": "m", "prompt": "x", "max_tokens": 512})");
  ASSERT_TRUE(ApplyTierMaxTokens(Capped(512), r).ok());
  EXPECT_EQ(r.max_tokens, 512);
  EXPECT_EQ(r.body.at("max_tokens"), 512);
}

TEST(TierMaxTokensTest, NoMaxTokensIsGivenTheCapUpstreamToo) {
  InferenceRequest r = Parse(api::Endpoint::kChatCompletions,
                             R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})");
  ASSERT_TRUE(ApplyTierMaxTokens(Capped(256), r).ok());
  EXPECT_EQ(r.max_tokens, 256);
  const boost::json::value sent =
      boost::json::parse(UpstreamBody(r, fleet::UpstreamKind::kTokenfabNode));
  EXPECT_EQ(sent.at("max_tokens"), 256);
}

TEST(TierMaxTokensTest, ATierWithoutACapChangesNothing) {
  InferenceRequest r =
      Parse(api::Endpoint::kCompletions, R"({"model": "m", "prompt": "x", "max_tokens": 1000000})");
  ASSERT_TRUE(ApplyTierMaxTokens(ledger::Tier(), r).ok());
  EXPECT_EQ(r.max_tokens, 1000000);
  InferenceRequest none = Parse(api::Endpoint::kCompletions, R"({"model": "m", "prompt": "x"})");
  ASSERT_TRUE(ApplyTierMaxTokens(ledger::Tier(), none).ok());
  EXPECT_EQ(none.max_tokens, 0);
  EXPECT_FALSE(none.body.contains("max_tokens"));
}

}  // namespace
}  // namespace tokenfab::gateway
