#include "valley_filler.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "spare_capacity.h"
#include "tokenfab/base/check.h"

namespace tokenfab::gateway {
namespace {

// 2023-11-15T00:00:00Z; the test sites are on UTC.
constexpr int64_t kMidnight = 1'700'006'400'000'000;
constexpr int64_t kHour = 3'600'000'000;

// The hub's example tariff shape: 0.264 from 00:00 to 08:00, 0.54 the rest of the day (midpoint
// 0.402: night hours are cheap, day hours peak).
fleet::PriceSchedule NightTariff(double scale) {
  std::array<double, fleet::kHoursPerDay> hourly{};
  for (int h = 0; h < fleet::kHoursPerDay; ++h) hourly[h] = (h < 8 ? 0.264 : 0.54) * scale;
  return fleet::PriceSchedule(hourly);
}

fleet::Site MakeSite(std::string name, fleet::PriceSchedule prices, double green) {
  fleet::Site site;
  site.name = std::move(name);
  site.region = std::string(1, 'r');
  site.energy.currency = std::string("CNY");
  site.energy.prices = prices;
  site.energy.green_share = green;
  return site;
}

// Sites "cheap" (the night tariff, green 0.3), "dear" (the same tariff x 2, green 0.3) and
// "green" (the night tariff, green 0.8); one upstream each, named after its site.
std::shared_ptr<const fleet::FleetConfig> Fleet() {
  fleet::FleetSpec spec;
  spec.source = "test";
  spec.currency = "CNY";
  spec.regions = {{"r", "r", ""}};
  spec.sites = {MakeSite("dear", NightTariff(2), 0.3), MakeSite("cheap", NightTariff(1), 0.3),
                MakeSite("green", NightTariff(1), 0.8)};
  uint16_t port = 9000;
  for (const fleet::Site& site : spec.sites) {
    fleet::Upstream up;
    up.name = site.name;
    up.url = {"http", "127.0.0.1", port++, "/"};
    up.models = {"m"};
    up.site = site.name;
    up.hardware.peak_tflops = 100;
    up.hardware.mem_bandwidth_gbps = 1000;
    up.hardware.power_idle_w = 100;
    up.hardware.power_max_w = 1000;
    spec.upstreams.push_back(std::move(up));
  }
  auto config = fleet::FleetConfig::Create(std::move(spec));
  TF_CHECK(config.ok()) << config.status().message();
  return std::make_shared<const fleet::FleetConfig>(*std::move(config));
}

// A node with `running` requests decoding and a step model of 10 ms + 1 ms per decoding
// sequence: an interactive probe is predicted TPOT = 10 + (running + k lines + itself) ms and,
// with no RTT and no per-token prefill cost, TTFT = 10 + (running + k) ms.
fleet::UpstreamState Node(int32_t running) {
  fleet::UpstreamState state;
  state.running = running;
  state.decode_sequences = running;
  state.prefill_tokens_queued = 0;
  state.kv_tokens = 0;
  state.rtt_ms = 0;
  state.step_model.base_us = 10'000;
  state.step_model.decode_sequence_us = 1'000;
  return state;
}

ValleyOptions Options() {
  ValleyOptions options;
  options.slo = {500, 20};  // TPOT binds: 11 + running + k <= 20
  return options;
}

std::shared_ptr<const fleet::FleetSnapshot> Snapshot(std::vector<fleet::UpstreamState> states,
                                                     int64_t wall) {
  return fleet::FleetSnapshot::Create(Fleet(), std::move(states), wall);
}

const std::vector<int32_t> kSlots = {16, 16, 16};

std::string SiteName(const fleet::FleetSnapshot& snapshot, const SiteRelease& r) {
  return snapshot.config().sites()[r.site].name;
}

TEST(ValleyFillerTest, TheCheapestSiteWithMarginInACheapHourGetsTheWork) {
  // 03:00: a cheap hour everywhere. Every site has margin: running 2 leaves 20 - 13 = 7 lines.
  auto snapshot = Snapshot({Node(2), Node(2), Node(2)}, kMidnight + 3 * kHour);
  const std::vector<SiteRelease> plan = PlanRelease(*snapshot, kSlots, Options());
  ASSERT_EQ(plan.size(), 3u);
  // Equal price: the greener first; the dearer tariff last.
  EXPECT_EQ(SiteName(*snapshot, plan[0]), "green");
  EXPECT_EQ(SiteName(*snapshot, plan[1]), "cheap");
  EXPECT_EQ(SiteName(*snapshot, plan[2]), "dear");
  for (const SiteRelease& r : plan) {
    EXPECT_TRUE(r.cheap_hour);
    EXPECT_EQ(r.safe_slots, 7) << SiteName(*snapshot, r);
    EXPECT_EQ(r.release, 7) << SiteName(*snapshot, r);
  }
  EXPECT_DOUBLE_EQ(plan[0].price, 0.264);
  EXPECT_DOUBLE_EQ(plan[2].price, 0.528);
}

TEST(ValleyFillerTest, ASiteOverItsSloGetsNoneAndOneAtTheEdgeGetsWhatKeepsItWithin) {
  // green: 11 + 10 = 21 ms > 20 already; cheap: 11 + 8 + 1 = 20 with one line, 21 with two.
  auto snapshot = Snapshot({Node(0), Node(8), Node(10)}, kMidnight + 3 * kHour);
  const std::vector<SiteRelease> plan = PlanRelease(*snapshot, kSlots, Options());
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(SiteName(*snapshot, plan[0]), "green");
  EXPECT_EQ(plan[0].release, 0);
  EXPECT_EQ(SiteName(*snapshot, plan[1]), "cheap");
  EXPECT_EQ(plan[1].release, 1);
  // The dear site has all the margin (9 lines) and free slots: it takes the rest.
  EXPECT_EQ(SiteName(*snapshot, plan[2]), "dear");
  EXPECT_EQ(plan[2].release, 9);
}

TEST(ValleyFillerTest, FreeSlotsStayTheFloorOfTheRoom) {
  // Margin for 9 lines but only 4 - 0 free slots.
  auto snapshot = Snapshot({Node(0), Node(0), Node(0)}, kMidnight + 3 * kHour);
  const std::vector<int32_t> slots = {4, 4, 4};
  EXPECT_EQ(SafeLines(*snapshot, 0, slots[0], Options()), 4);
  // An upstream that is down, or queues, takes nothing.
  std::vector<fleet::UpstreamState> states = {Node(0), Node(0), Node(0)};
  states[1].healthy = false;
  states[2].waiting = 1;
  auto degraded = Snapshot(states, kMidnight + 3 * kHour);
  EXPECT_EQ(SafeLines(*degraded, 1, 16, Options()), 0);
  EXPECT_EQ(SafeLines(*degraded, 2, 16, Options()), 0);
}

TEST(ValleyFillerTest, AnIdleUpstreamIsNotShutOutByTheTpotOfTheLoadItLastHad) {
  // Both measured 30 ms per token (over the 20 ms objective) under their last load and have
  // not stepped since. The busy one's measurement stands; the idle one's is of a batch that
  // has gone: it takes lines up to its step model's margin (11 + k <= 20: 9).
  std::vector<fleet::UpstreamState> states = {Node(0), Node(0), Node(2)};
  states[0].tpot_ms = 30;
  states[2].tpot_ms = 30;
  auto snapshot = Snapshot(states, kMidnight + 3 * kHour);
  EXPECT_EQ(SafeLines(*snapshot, 0, 16, Options()), 9);
  EXPECT_EQ(SafeLines(*snapshot, 2, 16, Options()), 0);
  // Without a step model the prediction is the measured TPOT itself: the same holds.
  for (fleet::UpstreamState& state : states) state.step_model = {};
  auto measured = Snapshot(states, kMidnight + 3 * kHour);
  EXPECT_EQ(SafeLines(*measured, 0, 16, Options()), 16);
  EXPECT_EQ(SafeLines(*measured, 2, 16, Options()), 0);
}

TEST(ValleyFillerTest, WithEqualMarginMoreIsReleasedInACheapHourThanInAPeakHour) {
  const std::vector<fleet::UpstreamState> states = {Node(2), Node(2), Node(2)};
  auto night = Snapshot(states, kMidnight + 3 * kHour);
  auto day = Snapshot(states, kMidnight + 14 * kHour);
  const std::vector<SiteRelease> cheap = PlanRelease(*night, kSlots, Options());
  const std::vector<SiteRelease> peak = PlanRelease(*day, kSlots, Options());
  ASSERT_EQ(peak.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(peak[i].safe_slots, cheap[i].safe_slots);
    EXPECT_FALSE(peak[i].cheap_hour);
    EXPECT_EQ(cheap[i].release, 7);
    EXPECT_EQ(peak[i].release, 3);  // floor(7 x 0.5)
  }
}

TEST(ValleyFillerTest, TheHourIsTheSitesLocalHour) {
  fleet::Site site = MakeSite("east", NightTariff(1), 0);
  site.utc_offset_minutes = 8 * 60;
  // 20:00 UTC is 04:00 at UTC+8: cheap there, peak on UTC.
  EXPECT_TRUE(IsCheapHour(site, kMidnight + 20 * kHour));
  site.utc_offset_minutes = 0;
  EXPECT_FALSE(IsCheapHour(site, kMidnight + 20 * kHour));
  // A flat tariff is cheap all day.
  site.energy.prices = fleet::PriceSchedule::Flat(0.4);
  EXPECT_TRUE(IsCheapHour(site, kMidnight + 14 * kHour));
}

TEST(ValleyFillerTest, DeadlinePressureReleasesWorkWhereTheSloLeavesNoRoom) {
  // Every site over its SLO: nothing released...
  auto snapshot = Snapshot({Node(10), Node(10), Node(10)}, kMidnight + 3 * kHour);
  int64_t released = 0;
  for (const SiteRelease& r : PlanRelease(*snapshot, kSlots, Options())) released += r.release;
  EXPECT_EQ(released, 0);
  // ...one line at a time early in the window, then the floor rises to finish in the window.
  EXPECT_EQ(BatchConcurrency(released, 0, 0.2, 64), 1);
  EXPECT_EQ(BatchConcurrency(released, 0, 0.9, 64), 52);  // ceil(0.8 x 64)
}

// Flex requests are released by the same decision as batch lines: PlanReleaseAmong over the
// request's ranked upstreams, then the first site with room.
std::optional<std::string> FlexSite(const fleet::FleetSnapshot& snapshot,
                                    std::vector<uint32_t> ranked) {
  const std::optional<uint32_t> site =
      FirstSiteWithRoom(PlanReleaseAmong(snapshot, kSlots, Options(), ranked));
  if (!site) return std::nullopt;
  return snapshot.config().sites()[*site].name;
}

TEST(ValleyFillerTest, AFlexRequestIsHeldWhileTheSloMarginIsThinAndReleasedWhenItWidens) {
  // Every site at 11 + 10 = 21 ms > 20: no margin, though each has 6 free slots of 16.
  auto thin = Snapshot({Node(10), Node(10), Node(10)}, kMidnight + 3 * kHour);
  ASSERT_GT(FreeSlots(thin->state(1), kSlots[1]), 0);
  EXPECT_EQ(FlexSite(*thin, {0, 1, 2}), std::nullopt);
  // The cheap site's decodes drain to 2 (margin for 7 lines): the request goes there.
  auto wider = Snapshot({Node(10), Node(2), Node(10)}, kMidnight + 3 * kHour);
  EXPECT_EQ(FlexSite(*wider, {0, 1, 2}), "cheap");
}

TEST(ValleyFillerTest, AFlexRequestGoesToTheCheapestGreenestSiteAmongItsRankedUpstreams) {
  auto snapshot = Snapshot({Node(2), Node(2), Node(2)}, kMidnight + 3 * kHour);
  EXPECT_EQ(FlexSite(*snapshot, {0, 1, 2}), "green");
  // Only the dear and cheap upstreams serve its model: green's room is not its room.
  EXPECT_EQ(FlexSite(*snapshot, {0, 1}), "cheap");
  EXPECT_EQ(FlexSite(*snapshot, {0}), "dear");
  EXPECT_EQ(FlexSite(*snapshot, {}), std::nullopt);
}

TEST(ValleyFillerTest, APeakHourHalvesTheRoomAFlexRequestIsReleasedInto) {
  // The cheap site at the edge: 11 + 8 + 1 = 20 ms, room for one line; the others over.
  const std::vector<fleet::UpstreamState> states = {Node(10), Node(8), Node(10)};
  auto night = Snapshot(states, kMidnight + 3 * kHour);
  auto day = Snapshot(states, kMidnight + 14 * kHour);
  EXPECT_EQ(FlexSite(*night, {0, 1, 2}), "cheap");
  // At 14:00 the site's one safe line is halved to none: the request waits.
  EXPECT_EQ(FlexSite(*day, {0, 1, 2}), std::nullopt);
  // With room for 7 there, half of it (3) is still released at the peak.
  auto day_wide = Snapshot({Node(10), Node(2), Node(10)}, kMidnight + 14 * kHour);
  EXPECT_EQ(FlexSite(*day_wide, {0, 1, 2}), "cheap");
}

TEST(ValleyFillerTest, TheTightestInteractiveSloTakesEachTermsLeastNonZero) {
  std::vector<ledger::Tier> tiers(3);
  tiers[0].ttft_slo_ms = 800;
  tiers[0].tpot_slo_ms = 0;
  tiers[1].ttft_slo_ms = 2000;
  tiers[1].tpot_slo_ms = 60;
  tiers[2].ttft_slo_ms = 0;
  tiers[2].tpot_slo_ms = 90;
  const routing::SloTarget slo = TightestInteractiveSlo(tiers);
  EXPECT_EQ(slo.ttft_ms, 800);
  EXPECT_EQ(slo.tpot_ms, 60);
  EXPECT_EQ(TightestInteractiveSlo({}).ttft_ms, 0);
}

TEST(ValleyFillerTest, PreferSiteMovesThatSitesUpstreamsFirstAndKeepsTheRestAsRetries) {
  auto config = Fleet();
  routing::RoutingDecision decision;
  decision.ranked = {{0, 0.9}, {1, 0.8}, {2, 0.7}};
  PreferSite(decision, *config, "green");
  ASSERT_EQ(decision.ranked.size(), 3u);
  EXPECT_EQ(decision.ranked[0].index, 2u);
  EXPECT_EQ(decision.ranked[1].index, 0u);
  EXPECT_EQ(decision.ranked[2].index, 1u);
  PreferSite(decision, *config, "nowhere");
  EXPECT_EQ(decision.ranked[0].index, 2u);
}

}  // namespace
}  // namespace tokenfab::gateway
