#include "spool_record.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tokenfab::ledger {
namespace {

UsageEvent FullEvent(int i) {
  UsageEvent e;
  e.request_id = fmt::format("req-{}", i);
  e.tenant = "acme";
  e.key_id = "key1";
  e.model = std::string("m");
  e.region = "eu";
  e.site = "paris";
  e.upstream = "node-a";
  e.prompt_tokens = 100 + i;
  e.cached_tokens = 7;
  e.completion_tokens = 33 + i;
  e.ttft_micros = 1234;
  e.tpot_micros = 56;
  e.status = "ok";
  e.http_status = 200;
  e.energy_wh = 0.125;
  e.carbon_g = 3.5;
  e.energy_cost = 0.0025;
  e.cost = -42;  // any 64-bit value survives
  e.currency = "EUR";
  e.started_micros = 1'700'000'000'000'000 + i;
  e.finished_micros = 1'700'000'000'500'000 + i;
  e.recorded_micros = 1'700'000'000'600'000 + i;
  e.service_tier = "flex";
  e.billed_tier = "batch";
  return e;
}

TEST(SpoolRecordTest, Crc32cOfTheStandardCheckString) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
}

TEST(SpoolRecordTest, RecordsRoundTrip) {
  std::string bytes;
  UsageEvent without_energy_cost = FullEvent(2);
  without_energy_cost.energy_cost.reset();
  AppendSpoolFrame({SpoolRecordKind::kEvent, FullEvent(1)}, bytes);
  AppendSpoolFrame({SpoolRecordKind::kProgress, without_energy_cost}, bytes);
  const SpoolScan scan = ScanSpoolFrames(bytes);
  EXPECT_FALSE(scan.damaged);
  EXPECT_EQ(scan.valid_bytes, bytes.size());
  ASSERT_EQ(scan.records.size(), 2u);
  EXPECT_EQ(scan.records[0].kind, SpoolRecordKind::kEvent);
  EXPECT_EQ(scan.records[0].event, FullEvent(1));
  EXPECT_EQ(scan.records[1].kind, SpoolRecordKind::kProgress);
  EXPECT_EQ(scan.records[1].event, without_energy_cost);
}

TEST(SpoolRecordTest, ATornLastRecordIsDroppedAtEveryCut) {
  std::string bytes;
  AppendSpoolFrame({SpoolRecordKind::kEvent, FullEvent(1)}, bytes);
  AppendSpoolFrame({SpoolRecordKind::kEvent, FullEvent(2)}, bytes);
  const size_t last_start = bytes.size();
  AppendSpoolFrame({SpoolRecordKind::kEvent, FullEvent(3)}, bytes);
  for (size_t cut = last_start; cut < bytes.size(); ++cut) {
    const SpoolScan scan = ScanSpoolFrames(std::string_view(bytes).substr(0, cut));
    ASSERT_EQ(scan.records.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(scan.records[1].event, FullEvent(2));
    EXPECT_EQ(scan.valid_bytes, last_start);
    EXPECT_EQ(scan.damaged, cut > last_start);
  }
}

TEST(SpoolRecordTest, AFlippedByteInTheLastRecordDropsOnlyIt) {
  std::string bytes;
  AppendSpoolFrame({SpoolRecordKind::kEvent, FullEvent(1)}, bytes);
  AppendSpoolFrame({SpoolRecordKind::kEvent, FullEvent(2)}, bytes);
  const size_t last_start = bytes.size();
  AppendSpoolFrame({SpoolRecordKind::kEvent, FullEvent(3)}, bytes);
  for (size_t at = last_start; at < bytes.size(); ++at) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    const SpoolScan scan = ScanSpoolFrames(damaged);
    ASSERT_EQ(scan.records.size(), 2u) << "flip at " << at;
    EXPECT_TRUE(scan.damaged);
    EXPECT_EQ(scan.valid_bytes, last_start);
  }
}

}  // namespace
}  // namespace tokenfab::ledger
