#include "tokenfab/api/server_timing.h"

#include <gtest/gtest.h>

namespace tokenfab::api {
namespace {

TEST(ServerTimingTest, WritesMillisecondsAndReadsThemBackAsMicros) {
  EXPECT_EQ(ServerTimingValue("load", 412), "load;dur=0.412");
  EXPECT_EQ(ServerTimingValue("load", -5), "load;dur=0.000");
  EXPECT_EQ(ServerTimingMicros("load;dur=0.412"), 412);
}

TEST(ServerTimingTest, SumsEveryMetricsDurationAndSkipsTheRest) {
  // Another server's shape: several metrics, descriptions, quoted and spaced values.
  EXPECT_EQ(ServerTimingMicros("db;dur=53, app;desc=\"render\";dur=\"47.2\", cache;desc=hit"),
            100'200);
  EXPECT_EQ(ServerTimingMicros("total; DUR = 2"), 2'000);
}

TEST(ServerTimingTest, NothingUsableIsNoServerTime) {
  EXPECT_EQ(ServerTimingMicros(""), std::nullopt);
  EXPECT_EQ(ServerTimingMicros("cache;desc=hit"), std::nullopt);
  EXPECT_EQ(ServerTimingMicros("load;dur=-3"), std::nullopt);
  EXPECT_EQ(ServerTimingMicros("load;dur=soon"), std::nullopt);
  EXPECT_EQ(ServerTimingMicros("load;dur=inf"), std::nullopt);
}

}  // namespace
}  // namespace tokenfab::api
