// The counters conformance suite: every test runs against each RateCounters implementation
// (LocalCounters in ledger_test, RedisCounters against a real redis-server in the integration
// tests). Time is passed explicitly; nothing sleeps.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tokenfab/ledger/rate_counters.h"

namespace tokenfab::ledger {

struct CountersFactory {
  std::string name;
  // Fresh counters (empty key space) whose leases lapse after lease_ttl_micros.
  std::function<StatusOr<std::unique_ptr<RateCounters>>(int64_t lease_ttl_micros)> open;
};

inline void PrintTo(const CountersFactory& factory, std::ostream* os) { *os << factory.name; }
inline std::string PrintCountersFactory(const testing::TestParamInfo<CountersFactory>& info) {
  return info.param.name;
}

class RateCountersTest : public testing::TestWithParam<CountersFactory> {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<RateCounters>> counters = GetParam().open(kLeaseTtl);
    ASSERT_TRUE(counters.ok()) << counters.status();
    counters_ = std::move(*counters);
  }
  static constexpr int64_t kLeaseTtl = 600'000'000;  // 10 min
  std::unique_ptr<RateCounters> counters_;
};

}  // namespace tokenfab::ledger
