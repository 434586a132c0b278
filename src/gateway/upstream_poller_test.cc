#include "upstream_poller.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

net::HttpResponse Answer(std::string server_timing) {
  net::HttpResponse response;
  response.status = 200;
  if (!server_timing.empty()) response.headers.Set("Server-Timing", server_timing);
  return response;
}

TEST(TransportRttTest, ThePollLessTheServersOwnTime) {
  // A 14.2 ms poll of which the node spent 1.7 ms building its /load: 12.5 ms of network.
  EXPECT_EQ(TransportRttMicros(Answer("load;dur=1.700"), 14'200), 12'500);
}

TEST(TransportRttTest, WithoutServerTimeTheWholePollCounts) {
  EXPECT_EQ(TransportRttMicros(Answer(""), 14'200), 14'200);
  EXPECT_EQ(TransportRttMicros(Answer("cache;desc=hit"), 14'200), 14'200);
  EXPECT_EQ(TransportRttMicros(absl::UnavailableError("refused"), 900), 900);
}

TEST(TransportRttTest, NeverBelowZero) {
  // The server claims more time than the whole exchange took (its clock, or a lie).
  EXPECT_EQ(TransportRttMicros(Answer("load;dur=20"), 14'200), 0);
}

}  // namespace
}  // namespace tokenfab::gateway
