// The ledger against real servers: the store conformance suite on PostgreSQL, the counters
// conformance suite on Redis, and several gateways sharing limits through one Redis. The servers
// are started once for the whole binary and stopped at its end, whether tests pass or fail.
#include <libpq-fe.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "acme_request.h"
#include "ledger/rate_counters_test_suite.h"
#include "ledger/store_test_suite.h"
#include "ledger_integration_env.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/redis_counters.h"

namespace tokenfab::ledger {
namespace {

INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest,
                         testing::Values(StoreFactory{
                             "postgresql",
                             [](std::string* location) -> StatusOr<std::unique_ptr<Store>> {
                               TF_ASSIGN_OR_RETURN(*location, Servers().postgres->CreateDatabase());
                               return OpenStore(*location);
                             }}),
                         PrintStoreFactory);

INSTANTIATE_TEST_SUITE_P(
    Redis, RateCountersTest,
    testing::Values(CountersFactory{
        "redis",
        [](int64_t lease_ttl) -> StatusOr<std::unique_ptr<RateCounters>> {
          static int next = 0;
          RedisOptions options;
          options.port = Servers().redis->port();
          options.key_prefix = fmt::format("test{}:", next++);  // a fresh key space
          options.lease_ttl_micros = lease_ttl;
          TF_ASSIGN_OR_RETURN(std::unique_ptr<RedisCounters> counters,
                              RedisCounters::Connect(options));
          return std::unique_ptr<RateCounters>(std::move(counters));
        }}),
    PrintCountersFactory);

// Reads every text value of a query with plain libpq, bypassing the store.
std::string DumpTable(const std::string& uri, const char* sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  PGresult* r = PQexec(conn, sql);
  std::string out;
  for (int i = 0; i < PQntuples(r); ++i) {
    for (int j = 0; j < PQnfields(r); ++j) out += std::string(PQgetvalue(r, i, j)) + "|";
  }
  PQclear(r);
  PQfinish(conn);
  return out;
}

TEST(PostgresLedgerTest, KeysAreNeverStoredInPlaintext) {
  StatusOr<std::string> uri = Servers().postgres->CreateDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status();
  StatusOr<std::unique_ptr<Store>> store = OpenStore(*uri);
  ASSERT_TRUE(store.ok()) << store.status();
  Tenant acme;
  acme.name = "acme";
  acme.tier = "free";
  ASSERT_TRUE((*store)->CreateTenant(acme).ok());
  base::ManualClock clock;
  Authenticator auth(**store, clock);
  StatusOr<NewApiKey> key = auth.CreateKey("acme");
  ASSERT_TRUE(key.ok());
  const std::string rows = DumpTable(*uri, "SELECT * FROM api_keys");
  EXPECT_NE(rows.find(key->record.hash_hex), std::string::npos);
  EXPECT_EQ(rows.find(key->plaintext), std::string::npos);
  EXPECT_EQ(rows.find(key->plaintext.substr(3 + kApiKeyIdChars)), std::string::npos);
  EXPECT_TRUE(auth.Authenticate(key->plaintext).ok());
}

TEST(PostgresLedgerTest, TwoGatewaysOpeningAtOnceMigrateOnce) {
  StatusOr<std::string> uri = Servers().postgres->CreateDatabase();
  ASSERT_TRUE(uri.ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      StatusOr<std::unique_ptr<Store>> store = OpenStore(*uri);
      if (!store.ok() || *(*store)->SchemaVersion() != 6) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(DumpTable(*uri, "SELECT COUNT(*) FROM schema_migrations"), "6|");
}

TEST(SharedLimitsTest, GatewaysSharingRedisShareTheTenantsLimits) {
  RedisOptions options;
  options.port = Servers().redis->port();
  options.key_prefix = "shared:";
  StatusOr<std::unique_ptr<RedisCounters>> a = RedisCounters::Connect(options);
  StatusOr<std::unique_ptr<RedisCounters>> b = RedisCounters::Connect(options);
  ASSERT_TRUE(a.ok() && b.ok());
  base::ManualClock clock;
  AdmissionController gateway_a(clock, **a, nullptr);
  AdmissionController gateway_b(clock, **b, nullptr);
  const AcmeRequest acme({.rpm = 10, .max_concurrency = 3});
  const AdmissionRequest& request = acme.request;
  // Concurrency 3 across both gateways.
  std::vector<Admission> held;
  for (int i = 0; i < 3; ++i) {
    StatusOr<Admission> admitted = (i % 2 ? gateway_a : gateway_b).Admit(request);
    ASSERT_TRUE(admitted.ok() && admitted->allowed()) << i;
    held.push_back(std::move(*admitted));
  }
  StatusOr<Admission> fourth = gateway_a.Admit(request);
  ASSERT_FALSE(fourth->allowed());
  EXPECT_EQ(fourth->rejection->reason, RejectReason::kConcurrency);
  for (Admission& h : held) ASSERT_TRUE(h.ticket->Finish(20).ok());
  // RPM 10 across both: 3 spent above, 7 more pass, alternating gateways, then 429 on both.
  for (int i = 0; i < 7; ++i) {
    StatusOr<Admission> admitted = (i % 2 ? gateway_a : gateway_b).Admit(request);
    ASSERT_TRUE(admitted->allowed()) << i;
  }
  EXPECT_EQ(gateway_a.Admit(request)->rejection->reason, RejectReason::kRequestRate);
  EXPECT_EQ(gateway_b.Admit(request)->rejection->retry_after_seconds, 6);
}

TEST(RedisCountersTest, ParsesUrls) {
  StatusOr<RedisOptions> o = ParseRedisUrl("redis://cache.internal:6380/gw1:");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->host, "cache.internal");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->key_prefix, "gw1:");
  EXPECT_EQ(ParseRedisUrl("redis://")->port, 6379);
  EXPECT_FALSE(ParseRedisUrl("http://x").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:99999").ok());
}

TEST(RedisCountersTest, UnreachableServerIsUnavailable) {
  RedisOptions options;
  StatusOr<int> port = testing_servers::PickFreePort();
  ASSERT_TRUE(port.ok());
  options.port = *port;
  EXPECT_TRUE(absl::IsUnavailable(RedisCounters::Connect(options).status()));
}

}  // namespace
}  // namespace tokenfab::ledger
