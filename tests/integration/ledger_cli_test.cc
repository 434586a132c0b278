// The ledger commands end to end: `tokenfab keys create` prints a key that authenticates,
// `tokenfab usage` reports what was recorded, `tokenfab keys revoke` stops the key; on the
// default SQLite ledger and on PostgreSQL through --ledger. `tokenfab prices set` stores the
// service tiers' percentages it is given.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ledger_integration_env.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {
namespace {

// Runs the tokenfab binary with `args`; returns stdout, sets *exit_code.
std::string RunTokenfab(const std::string& args, int* exit_code) {
  const std::string command = fmt::format("'{}' {} 2>/dev/null", TOKENFAB_BINARY, args);
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class LedgerCliTest : public testing::TestWithParam<std::string> {};

TEST_P(LedgerCliTest, KeysAndUsageEndToEnd) {
  std::string location, flag;
  if (GetParam() == "postgresql") {
    StatusOr<std::string> uri = Servers().postgres->CreateDatabase();
    ASSERT_TRUE(uri.ok());
    location = *uri;
    flag = fmt::format("--ledger '{}'", location);
  } else {
    const std::filesystem::path dir =
        std::filesystem::path(testing::TempDir()) / fmt::format("cli-{}", getpid());
    std::filesystem::remove_all(dir);
    flag = fmt::format("--data-dir '{}'", dir.string());
    location = (dir / "ledger.sqlite").string();
  }
  int rc = 0;
  std::string key = RunTokenfab("keys create --tenant acme --tier premium " + flag, &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_FALSE(key.empty());
  key.pop_back();  // newline
  StatusOr<std::unique_ptr<Store>> store = OpenStore(location);
  ASSERT_TRUE(store.ok()) << store.status();
  Authenticator auth(**store, base::RealClock::Get(), SecureRandomBytes, {.cache_ttl_micros = 0});
  StatusOr<Principal> who = auth.Authenticate(key);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->tenant.name, "acme");
  EXPECT_EQ(who->tier.name, "premium");

  std::vector<UsageEvent> events;
  for (int i = 0; i < 5; ++i) {
    UsageEvent e;
    e.request_id = fmt::format("cli-{}", i);
    e.tenant = "acme";
    e.key_id = who->key_id;
    e.model = i < 3 ? "llama3-8b" : "qwen3-4b";
    e.prompt_tokens = 100 * (i + 1);
    e.completion_tokens = 10 * (i + 1);
    e.cost = 1'500'000;
    e.finished_micros = *ParseUtcDate("2024-03-10") + i;
    events.push_back(e);
  }
  ASSERT_TRUE((*store)->InsertUsage(events).ok());
  const std::string csv = RunTokenfab("usage --by model --format csv " + flag, &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(csv,
            "model,currency,requests,prompt_tokens,cached_tokens,completion_tokens,total_tokens,"
            "cost,energy_wh,energy_cost,margin,green_share,carbon_g\r\n"
            "llama3-8b,USD,3,600,0,60,660,4.500000,0,0,,0.0000,0\r\n"
            "qwen3-4b,USD,2,900,0,90,990,3.000000,0,0,,0.0000,0\r\n");
  const std::string day = RunTokenfab("usage --by day --from 2024-03-11 " + flag, &rc);
  EXPECT_NE(day.find("(no usage)"), std::string::npos);

  const std::string list = RunTokenfab("keys list " + flag, &rc);
  EXPECT_NE(list.find(who->key_id), std::string::npos);
  EXPECT_EQ(list.find(key), std::string::npos);  // the secret is never shown again
  RunTokenfab(fmt::format("keys revoke {} {}", who->key_id, flag), &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(absl::IsUnauthenticated(auth.Authenticate(key).status()));
  RunTokenfab("keys revoke NOSUCHKEY000 " + flag, &rc);
  EXPECT_EQ(rc, 1);
}

TEST(LedgerCliPricesTest, PricesSetTakesTheServiceTiersPercentages) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / fmt::format("cli-prices-{}", getpid());
  std::filesystem::remove_all(dir);
  const std::string flag = fmt::format("--data-dir '{}'", dir.string());
  const std::string prices = "prices set --input 1 --cached-input 0.5 --output 2 --currency CNY ";
  int rc = 0;
  RunTokenfab(
      prices + "--model tiered --flex-percent 40 --batch-percent 25 --priority-percent 300 " + flag,
      &rc);
  ASSERT_EQ(rc, 0);
  RunTokenfab(prices + "--model plain " + flag, &rc);
  ASSERT_EQ(rc, 0);
  RunTokenfab(prices + "--model negative --flex-percent -10 " + flag, &rc);
  EXPECT_NE(rc, 0) << "a negative percentage is refused";

  StatusOr<std::unique_ptr<Store>> store = OpenStore((dir / "ledger.sqlite").string());
  ASSERT_TRUE(store.ok()) << store.status();
  StatusOr<std::vector<PriceEntry>> entries = (*store)->ListPrices();
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  for (const PriceEntry& e : *entries) {
    if (e.model == "tiered") {
      EXPECT_EQ(e.flex_percent, 40);
      EXPECT_EQ(e.batch_percent, 25);
      EXPECT_EQ(e.priority_percent, 300);
    } else {
      EXPECT_EQ(e.model, "plain");
      EXPECT_EQ(e.flex_percent, 50);
      EXPECT_EQ(e.batch_percent, 50);
      EXPECT_EQ(e.priority_percent, 200);
    }
  }
  const std::string list = RunTokenfab("prices list " + flag, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(list.find("FLEX%"), std::string::npos) << list;
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Stores, LedgerCliTest, testing::Values("sqlite", "postgresql"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace tokenfab::ledger
