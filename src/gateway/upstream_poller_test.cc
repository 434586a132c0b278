#include "upstream_poller.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "testing/test_fleet.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/net/io_context_pool.h"

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

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(PollPeriodTest, TheIntervalWhileTheBudgetAllowsIt) {
  // 100 upstreams every 200 ms: 500 polls a second, the whole budget.
  EXPECT_EQ(PollPeriod(milliseconds(200), 100, 500), microseconds(200'000));
  EXPECT_EQ(PollPeriod(milliseconds(200), 3, 500), microseconds(200'000));
}

TEST(PollPeriodTest, StretchedToTheBudgetForALargeFleet) {
  // 1,000 upstreams at 500 polls a second: each every 2 s, not every 200 ms (5,000 a second).
  EXPECT_EQ(PollPeriod(milliseconds(200), 1'000, 500), microseconds(2'000'000));
  EXPECT_EQ(PollPeriod(milliseconds(200), 250, 500), microseconds(500'000));
}

TEST(PollPeriodTest, NoBudgetKeepsTheInterval) {
  EXPECT_EQ(PollPeriod(milliseconds(200), 1'000, 0), microseconds(200'000));
}

TEST(FirstPollDelayTest, AtTheBudgetsPaceWithinOnePeriod) {
  // 1,000 upstreams at 500 polls a second: 2 ms apart, the last one 2 s in (the period).
  EXPECT_EQ(FirstPollDelay(microseconds(2'000'000), 0, 1'000, 500), microseconds(0));
  EXPECT_EQ(FirstPollDelay(microseconds(2'000'000), 1, 1'000, 500), microseconds(2'000));
  EXPECT_EQ(FirstPollDelay(microseconds(2'000'000), 999, 1'000, 500), microseconds(1'998'000));
  // Four upstreams polled every second at 1 poll a second at most: 250 ms apart.
  EXPECT_EQ(FirstPollDelay(microseconds(1'000'000), 3, 4, 1), microseconds(750'000));
}

TEST(FirstPollDelayTest, AFewUpstreamsAreNotHeldBackByALongInterval) {
  // Three upstreams polled every minute: 2 ms apart, not 20 s.
  EXPECT_EQ(FirstPollDelay(microseconds(60'000'000), 2, 3, 500), microseconds(4'000));
}

TEST(FirstPollDelayTest, NoBudgetPollsAllAtOnce) {
  EXPECT_EQ(FirstPollDelay(microseconds(1'000'000), 5, 10, 0), microseconds(0));
}

template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 5'000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return pred();
}

// Ten upstreams (nothing listens at their port: each poll fails at once), a budget of 10 polls a
// second over a 200 ms interval: each upstream is polled every second, the first polls spread
// 100 ms apart. Time moves only by hand.
class PollerScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<testing::TestUpstream> list;
    for (int i = 0; i < 10; ++i) {
      list.push_back({.url = "http://127.0.0.1:1/u" + std::to_string(i)});
    }
    auto config = fleet::ParseFleetConfig(testing::TestFleetToml(list), "test.toml");
    ASSERT_TRUE(config.ok()) << config.status();
    state_.Install(std::make_shared<const fleet::FleetConfig>(*std::move(config)), nullptr,
                   nullptr);
  }
  // Moves the clock to `micros` and waits for the polls then due (and a moment for any other).
  int64_t PollsAt(int64_t micros, int64_t expected) {
    clock_.Set(micros);
    timers_.Wake();
    WaitFor([&] { return poller_.polls() >= expected; });
    std::this_thread::sleep_for(milliseconds(30));
    return poller_.polls();
  }

  static PollOptions Options() {
    PollOptions options;
    options.interval = milliseconds(200);
    options.polls_per_s = 10;
    return options;
  }

  base::ManualClock clock_;
  net::IoContextPool pool_{1};
  net::HttpClient client_{pool_};
  TimerQueue timers_{clock_};
  FleetState state_{clock_, CircuitBreakerOptions{}};
  UpstreamPoller poller_{state_, client_, timers_, clock_, Options()};
};

TEST_F(PollerScheduleTest, FirstPollsSpreadAndEachUpstreamPolledOncePerBudgetedPeriod) {
  poller_.Sync();
  EXPECT_EQ(PollsAt(0, 1), 1) << "the first polls came all at once";
  EXPECT_EQ(PollsAt(450'000, 5), 5);  // due at 0, 100, 200, 300 and 400 ms
  EXPECT_EQ(PollsAt(999'000, 10), 10);
  // The first upstream's next poll: a second after its first ended, not 200 ms.
  EXPECT_EQ(PollsAt(1'000'000, 11), 11);
  poller_.Stop();
}

}  // namespace
}  // namespace tokenfab::gateway
