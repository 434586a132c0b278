// The counters conformance suite on LocalCounters, plus the shared bucket arithmetic.
#include "rate_counters_test_suite.h"

namespace tokenfab::ledger {
namespace {

INSTANTIATE_TEST_SUITE_P(Local, RateCountersTest,
                         testing::Values(CountersFactory{
                             "local",
                             [](int64_t lease_ttl) -> StatusOr<std::unique_ptr<RateCounters>> {
                               return std::make_unique<LocalCounters>(lease_ttl);
                             }}),
                         PrintCountersFactory);

TEST(BucketArithmeticTest, RefillIsCappedAndOverflowSafe) {
  const BucketSpec spec{"k", 1'000'000'000, 60'000'000};  // a billion tokens per minute
  EXPECT_EQ(RefillScaled(spec, 0, INT64_MAX), spec.capacity * spec.window_micros);
  EXPECT_EQ(RefillScaled(spec, 0, -5), 0);
  EXPECT_EQ(RefillScaled(spec, -spec.window_micros, 60), -spec.window_micros + 60 * spec.capacity);
  EXPECT_EQ(MicrosUntil(spec, 0, 1), 1);  // 60e6 / 1e9 rounds up to 1 µs
}

TEST(TenantCounterKeyTest, TheHashTagIsTheWholeEscapedTenantName) {
  EXPECT_EQ(TenantCounterKey("acme", "rpm"), "{acme}:rpm");
  // A '}' in the name would end the tag early ("{}x}" has an empty tag, which Redis ignores, so
  // the kinds would land in different slots): escaped, every kind shares the tag.
  EXPECT_EQ(TenantCounterKey("}x", "tpm"), "{%7Dx}:tpm");
  EXPECT_EQ(TenantCounterKey("a{b%", "conc"), "{a%7Bb%25}:conc");
  // Escaping keeps names apart: "%7D" and "}" are two tenants.
  EXPECT_NE(TenantCounterKey("%7D", "rpm"), TenantCounterKey("}", "rpm"));
}

TEST(LocalCountersTest, LevelReportsWholeTokens) {
  LocalCounters counters;
  const BucketSpec spec{"k", 60, 60'000'000};
  EXPECT_EQ(counters.Level(spec, 0), 60);
  ASSERT_TRUE(counters.Adjust(spec, 100, 0).ok());
  EXPECT_EQ(counters.Level(spec, 0), -40);
  EXPECT_EQ(counters.Level(spec, 500'000), -40);  // half a token more: still -40 rounded down
  EXPECT_EQ(counters.Level(spec, 1'000'000), -39);
}

}  // namespace
}  // namespace tokenfab::ledger
