#include "tenant_fair_share.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace tokenfab::gateway {
namespace {

// Picks `picks` items from tenants whose items each cost `cost[tenant]` tokens; `left[tenant]`
// items each (-1: endless). Returns the tokens served per tenant.
std::map<std::string, int64_t> Serve(TenantFairShare& share, std::map<std::string, int64_t> cost,
                                     std::map<std::string, int64_t> left, int picks) {
  std::map<std::string, int64_t> served;
  for (int i = 0; i < picks; ++i) {
    std::vector<TenantFairShare::Head> heads;
    for (const auto& [tenant, tokens] : cost) {
      if (left[tenant] != 0) heads.push_back({tenant, tokens});
    }
    const std::optional<size_t> next = share.Next(heads);
    if (!next) break;
    const std::string tenant(heads[*next].tenant);
    served[tenant] += cost[tenant];
    if (left[tenant] > 0) --left[tenant];
  }
  return served;
}

TEST(TenantFairShareTest, TenantsShareByTokensNotByLines) {
  // "big" sends lines of 1,000 tokens, "small" lines of 100. Round robin by lines would serve
  // big 10x the tokens; by tokens, 22 lines are 2 of big's and 20 of small's: 2,000 tokens each.
  TenantFairShare share(1000);
  const auto served =
      Serve(share, {{"big", 1000}, {"small", 100}}, {{"big", -1}, {"small", -1}}, 22);
  EXPECT_EQ(served.at("big"), 2000);
  EXPECT_EQ(served.at("small"), 2000);
}

TEST(TenantFairShareTest, AMillionLineBatchDoesNotStarveAHundredLines) {
  // Equal lines; big has endless work, small 100 lines: small is done after about 200 picks
  // (served in turn), not after big's backlog.
  TenantFairShare share(500);
  std::map<std::string, int64_t> left = {{"big", -1}, {"small", 100}};
  const auto served = Serve(share, {{"big", 50}, {"small", 50}}, left, 210);
  EXPECT_EQ(served.at("small"), 100 * 50);
  EXPECT_EQ(served.at("big"), 110 * 50);
}

TEST(TenantFairShareTest, SettlingChargesTheTokensReallyServed) {
  // Both estimate 100 tokens a line; a's lines really serve 300. Settled, a gets a third of b's
  // lines: equal tokens.
  TenantFairShare share(100);
  int64_t a_tokens = 0, b_tokens = 0;
  for (int i = 0; i < 400; ++i) {
    const std::vector<TenantFairShare::Head> heads = {{"a", 100}, {"b", 100}};
    const size_t next = *share.Next(heads);
    if (next == 0) {
      share.Settle("a", 100, 300);
      a_tokens += 300;
    } else {
      share.Settle("b", 100, 100);
      b_tokens += 100;
    }
  }
  EXPECT_NEAR(static_cast<double>(a_tokens) / static_cast<double>(b_tokens), 1.0, 0.02);
  EXPECT_EQ(share.Next({}), std::nullopt);
}

TEST(TenantFairShareTest, ATenantWithNothingToSendLosesItsCredit) {
  TenantFairShare share(1000);
  const std::vector<TenantFairShare::Head> both = {{"a", 100}, {"b", 100}};
  EXPECT_EQ(*share.Next(both), 0u);  // a's turn: 1,000 credited, 100 spent
  EXPECT_EQ(share.deficit("a"), 900);
  const std::vector<TenantFairShare::Head> only_b = {{"b", 100}};
  EXPECT_EQ(*share.Next(only_b), 0u);
  EXPECT_EQ(share.deficit("a"), 0);
}

TEST(TenantFairShareTest, LineTokensFromTheBodyAndTheUsage) {
  const std::string body = R"({"model":"m","max_tokens":200,"n":2,"messages":[]})";
  EXPECT_EQ(EstimateLineTokens(body, 16), static_cast<int64_t>(body.size()) / 4 + 400);
  const std::string no_max = R"({"model":"m","prompt":"hello"})";
  EXPECT_EQ(EstimateLineTokens(no_max, 16), static_cast<int64_t>(no_max.size()) / 4 + 16);
  EXPECT_EQ(ServedTokens(R"({"usage":{"prompt_tokens":5,"total_tokens":12}})"), 12);
  EXPECT_EQ(ServedTokens(R"({"error":{}})"), std::nullopt);
  EXPECT_EQ(ServedTokens("not json"), std::nullopt);
}

}  // namespace
}  // namespace tokenfab::gateway
