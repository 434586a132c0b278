#include "tokenfab/ledger/price_book.h"

#include <gtest/gtest.h>

namespace tokenfab::ledger {
namespace {

PriceEntry Price(std::string model, std::string region, Micros in, Micros cached, Micros out,
                 int64_t from = 0) {
  PriceEntry e;
  e.model = std::move(model);
  e.region = std::move(region);
  e.input_per_million = in;
  e.cached_input_per_million = cached;
  e.output_per_million = out;
  e.effective_from_micros = from;
  return e;
}

TEST(PriceBookTest, PricesUncachedCachedAndOutputTokensSeparately) {
  // $2.50 / $1.25 / $10.00 per million tokens.
  const PriceEntry p = Price("m", "eu", 2'500'000, 1'250'000, 10'000'000);
  // 1000 prompt of which 400 cached, 500 completion:
  // 600 * 2.5 + 400 * 1.25 + 500 * 10 = 1500 + 500 + 5000 = 7000 micro-units per million
  // tokens... i.e. 7000 micro-USD.
  EXPECT_EQ(PriceTokens(p, 1000, 400, 500), 7000);
  EXPECT_EQ(PriceTokens(p, 0, 0, 0), 0);
  // One million output tokens cost exactly the output price.
  EXPECT_EQ(PriceTokens(p, 0, 0, 1'000'000), 10'000'000);
}

TEST(PriceBookTest, RoundsHalfUpOncePerRequest) {
  const PriceEntry p = Price("m", "eu", 150'000, 75'000, 600'000);  // $0.15/$0.075/$0.60
  EXPECT_EQ(PriceTokens(p, 1, 0, 0), 0);   // 0.15 micro -> 0
  EXPECT_EQ(PriceTokens(p, 3, 0, 0), 0);   // 0.45 -> 0
  EXPECT_EQ(PriceTokens(p, 4, 0, 0), 1);   // 0.60 -> 1
  EXPECT_EQ(PriceTokens(p, 10, 0, 0), 2);  // 1.5 -> 2 (half up)
  EXPECT_EQ(PriceTokens(p, 0, 0, 5), 3);   // 3.0
}

TEST(PriceBookTest, TiersScaleTheDefaultPriceAndRoundOnce) {
  PriceEntry p = Price("m", "eu", 2'500'000, 1'250'000, 10'000'000);
  // Default 7000 micro-USD (see above); flex and batch half, priority double.
  EXPECT_EQ(PriceTokens(p, ServiceTier::kDefault, 1000, 400, 500), 7000);
  EXPECT_EQ(PriceTokens(p, ServiceTier::kFlex, 1000, 400, 500), 3500);
  EXPECT_EQ(PriceTokens(p, ServiceTier::kBatch, 1000, 400, 500), 3500);
  EXPECT_EQ(PriceTokens(p, ServiceTier::kPriority, 1000, 400, 500), 14'000);
  // Rounded once after scaling: 3 tokens at $0.50/M is 1.5 micro at default (-> 2), and 0.75 at
  // half price (-> 1), not half of the rounded 2 (-> 1) nor 0.
  p = Price("m", "eu", 500'000, 0, 0);
  EXPECT_EQ(PriceTokens(p, ServiceTier::kDefault, 3, 0, 0), 2);
  EXPECT_EQ(PriceTokens(p, ServiceTier::kBatch, 3, 0, 0), 1);
  // 1 token at $0.50/M: 0.5 -> 1 at default, 0.25 -> 0 at flex.
  EXPECT_EQ(PriceTokens(p, ServiceTier::kFlex, 1, 0, 0), 0);
  // An entry's own percentages.
  p.batch_percent = 40;
  p.priority_percent = 125;
  EXPECT_EQ(PriceTokens(p, ServiceTier::kBatch, 1'000'000, 0, 0), 200'000);
  EXPECT_EQ(PriceTokens(p, ServiceTier::kPriority, 1'000'000, 0, 0), 625'000);
}

TEST(PriceBookTest, QuoteAtATier) {
  PriceBook book({Price("m", "*", 0, 0, 2'000'000)});
  EXPECT_EQ(book.Quote("m", "eu", 0, 0, 0, 1000)->amount, 2000);
  EXPECT_EQ(book.Quote("m", "eu", 0, 0, 0, 1000, ServiceTier::kFlex)->amount, 1000);
  EXPECT_EQ(book.Quote("m", "eu", 0, 0, 0, 1000, ServiceTier::kPriority)->amount, 4000);
}

TEST(PriceBookTest, ExactForHugeCounts) {
  // 128-bit intermediate: 1e12 tokens at $1000 per million = $1e9 exactly.
  const PriceEntry p = Price("m", "eu", 0, 0, 1'000'000'000);
  EXPECT_EQ(PriceTokens(p, 0, 0, 1'000'000'000'000), int64_t{1'000'000'000} * 1'000'000);
}

TEST(PriceBookTest, LookupFallsBackAndHonoursEffectiveTime) {
  PriceBook book({Price("m", "eu", 1, 0, 0, 100), Price("m", "eu", 2, 0, 0, 200),
                  Price("m", "*", 3, 0, 0), Price("*", "us", 4, 0, 0), Price("*", "*", 5, 0, 0)});
  EXPECT_EQ(book.Lookup("m", "eu", 150)->input_per_million, 1);
  EXPECT_EQ(book.Lookup("m", "eu", 200)->input_per_million, 2);
  EXPECT_EQ(book.Lookup("m", "eu", 99)->input_per_million, 3);  // before eu prices: model-wide
  EXPECT_EQ(book.Lookup("m", "us", 0)->input_per_million, 3);
  EXPECT_EQ(book.Lookup("x", "us", 0)->input_per_million, 4);
  EXPECT_EQ(book.Lookup("x", "ap", 0)->input_per_million, 5);
  EXPECT_TRUE(absl::IsNotFound(PriceBook({Price("m", "eu", 1, 0, 0)}).Lookup("m", "us", 0).status()));
}

TEST(PriceBookTest, QuoteRejectsImpossibleCounts) {
  PriceBook book({Price("m", "eu", 1'000'000, 500'000, 2'000'000)});
  EXPECT_FALSE(book.Quote("m", "eu", 0, 10, 11, 0).ok());
  EXPECT_FALSE(book.Quote("m", "eu", 0, 10, 0, -1).ok());
  StatusOr<Cost> cost = book.Quote("m", "eu", 0, 2'000'000, 1'000'000, 1'000'000);
  ASSERT_TRUE(cost.ok());
  EXPECT_EQ(cost->amount, 1'000'000 + 500'000 + 2'000'000);
  EXPECT_EQ(cost->currency, "USD");
}

TEST(PriceBookTest, ValidatesEntries) {
  EXPECT_TRUE(ValidatePriceEntry(Price("m", "*", 1, 1, 1)).ok());
  EXPECT_FALSE(ValidatePriceEntry(Price("m", "eu", -1, 0, 0)).ok());
  PriceEntry bad_currency = Price("m", "eu", 1, 1, 1);
  bad_currency.currency = "usd";
  EXPECT_FALSE(ValidatePriceEntry(bad_currency).ok());
  EXPECT_FALSE(ValidatePriceEntry(Price("bad model", "eu", 1, 1, 1)).ok());
  PriceEntry bad_percent = Price("m", "eu", 1, 1, 1);
  bad_percent.flex_percent = -1;
  EXPECT_FALSE(ValidatePriceEntry(bad_percent).ok());
}

}  // namespace
}  // namespace tokenfab::ledger
