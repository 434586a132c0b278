#include "tokenfab/ledger/money.h"

#include <limits>

#include <gtest/gtest.h>

namespace tokenfab::ledger {
namespace {

TEST(MoneyTest, FormatsMicros) {
  EXPECT_EQ(FormatMicros(0), "0.000000");
  EXPECT_EQ(FormatMicros(12'345'678), "12.345678");
  EXPECT_EQ(FormatMicros(-1), "-0.000001");
  EXPECT_EQ(FormatMicros(std::numeric_limits<int64_t>::min()), "-9223372036854.775808");
}

TEST(MoneyTest, ParsesDecimalAmounts) {
  EXPECT_EQ(*ParseMicros("0.15"), 150'000);
  EXPECT_EQ(*ParseMicros("3"), 3'000'000);
  EXPECT_EQ(*ParseMicros("2.500001"), 2'500'001);
  EXPECT_EQ(*ParseMicros("-1.5"), -1'500'000);
  EXPECT_EQ(*ParseMicros("9223372036854.775807"), std::numeric_limits<int64_t>::max());
}

TEST(MoneyTest, RejectsMalformedAmounts) {
  for (const char* bad : {"", "-", ".5", "1.", "1.0000001", "1e3", "abc", "1,5", "+1",
                          "9223372036854.775808", "99999999999999999999"}) {
    EXPECT_FALSE(ParseMicros(bad).ok()) << bad;
  }
}

TEST(MoneyTest, RoundTrips) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{999'999}, int64_t{1'000'000},
                    int64_t{123'456'789'012}}) {
    EXPECT_EQ(*ParseMicros(FormatMicros(v)), v);
  }
}

}  // namespace
}  // namespace tokenfab::ledger
