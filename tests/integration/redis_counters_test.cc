// RedisCounters against redis-servers started by the test for one concern each: Redis Cluster
// (all 16384 slots on one node, so a script over keys of different slots fails with CROSSSLOT as
// on a real cluster).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ledger/rate_counters_test_suite.h"
#include "ledger_servers.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/redis_counters.h"

namespace tokenfab::ledger {
namespace {

// One cluster-mode server for the whole binary, started on first use.
testing_servers::RedisServer& ClusterServer() {
  static const std::unique_ptr<testing_servers::RedisServer> server = [] {
    StatusOr<std::unique_ptr<testing_servers::RedisServer>> s =
        testing_servers::RedisServer::Start({.cluster = true, .password = ""});
    TF_CHECK(s.ok()) << s.status();
    return std::move(*s);
  }();
  return *server;
}

INSTANTIATE_TEST_SUITE_P(RedisCluster, RateCountersTest,
                         testing::Values(CountersFactory{
                             "redis_cluster",
                             [](int64_t lease_ttl) -> StatusOr<std::unique_ptr<RateCounters>> {
                               static int next = 0;
                               RedisOptions options;
                               options.port = ClusterServer().port();
                               options.key_prefix = fmt::format("cluster{}:", next++);
                               options.lease_ttl_micros = lease_ttl;
                               TF_ASSIGN_OR_RETURN(std::unique_ptr<RedisCounters> counters,
                                                   RedisCounters::Connect(options));
                               return std::unique_ptr<RateCounters>(std::move(counters));
                             }}),
                         PrintCountersFactory);

TEST(RedisClusterTest, AdmissionWithEveryLimitRunsOnACluster) {
  RedisOptions options;
  options.port = ClusterServer().port();
  options.key_prefix = "admit:";
  StatusOr<std::unique_ptr<RedisCounters>> counters = RedisCounters::Connect(options);
  ASSERT_TRUE(counters.ok()) << counters.status();
  base::ManualClock clock;
  AdmissionController admission(clock, **counters, nullptr);
  Tier tier;
  tier.name = "standard";
  Tenant tenant;
  tenant.name = "acme";
  tenant.limits.rpm = 2;
  tenant.limits.tpm = 1000;
  tenant.limits.max_concurrency = 5;
  AdmissionRequest request;
  request.tenant = &tenant;
  request.tier = &tier;
  request.prompt_tokens = 10;
  request.max_output_tokens = 10;
  // RPM and TPM in one script: their keys must share a slot.
  for (int i = 0; i < 2; ++i) {
    StatusOr<Admission> admitted = admission.Admit(request);
    ASSERT_TRUE(admitted.ok()) << admitted.status();
    ASSERT_TRUE(admitted->allowed()) << i;
    ASSERT_TRUE(admitted->ticket->Finish(15).ok());
  }
  StatusOr<Admission> third = admission.Admit(request);
  ASSERT_TRUE(third.ok()) << third.status();
  ASSERT_FALSE(third->allowed());
  EXPECT_EQ(third->rejection->reason, RejectReason::kRequestRate);
}

}  // namespace
}  // namespace tokenfab::ledger
