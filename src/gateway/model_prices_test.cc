#include "model_prices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_fleet.h"
#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::gateway {
namespace {

using ::testing::HasSubstr;

// `top`: top-level keys, which TOML wants before the first table.
fleet::FleetConfig Fleet(const std::string& models, const std::string& top = "") {
  auto config = fleet::ParseFleetConfig(
      top + testing::TestFleetToml({{.url = "http://127.0.0.1:1", .models = models}}),
      "fleet.toml");
  EXPECT_TRUE(config.ok()) << config.status();
  return *std::move(config);
}

ledger::PriceEntry Price(std::string model, std::string region, int64_t from = 0) {
  return {.model = std::move(model),
          .region = std::move(region),
          .input_per_million = 1'000'000,
          .cached_input_per_million = 500'000,
          .output_per_million = 2'000'000,
          .currency = "CNY",
          .effective_from_micros = from};
}

TEST(ModelPricesTest, AServedModelWithoutAPriceIsAnErrorNamingIt) {
  const ledger::PriceBook book({Price("m", "*")});
  const Status s = CheckModelPrices(Fleet(R"("m", "unpriced")"), book, 1'000);
  ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("model \"unpriced\""));
  EXPECT_THAT(s.message(), HasSubstr("region r0"));
  EXPECT_THAT(s.message(), HasSubstr("free_models"));
}

TEST(ModelPricesTest, PricedByModelRegionOrCatchAllPasses) {
  EXPECT_TRUE(CheckModelPrices(Fleet(R"("m")"), ledger::PriceBook({Price("m", "r0")}), 1).ok());
  EXPECT_TRUE(CheckModelPrices(Fleet(R"("m", "n")"), ledger::PriceBook({Price("*", "*")}), 1).ok());
  // A price for another region, or one that starts later, does not price it now.
  EXPECT_FALSE(CheckModelPrices(Fleet(R"("m")"), ledger::PriceBook({Price("m", "r9")}), 1).ok());
  EXPECT_FALSE(
      CheckModelPrices(Fleet(R"("m")"), ledger::PriceBook({Price("m", "*", 5'000)}), 1'000).ok());
}

TEST(ModelPricesTest, FreeModelsAndTheWildcardNeedNoPrice) {
  const ledger::PriceBook empty;
  EXPECT_FALSE(CheckModelPrices(Fleet(R"("m")"), empty, 1).ok());
  EXPECT_TRUE(CheckModelPrices(Fleet(R"("m")", "free_models = [\"m\"]\n"), empty, 1).ok());
  EXPECT_TRUE(CheckModelPrices(Fleet(R"("*")"), empty, 1).ok());
}

}  // namespace
}  // namespace tokenfab::gateway
