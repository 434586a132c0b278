// RedisCounters against redis-servers started by the test for one concern each: Redis Cluster
// (all 16384 slots on one node, so a script over keys of different slots fails with CROSSSLOT as
// on a real cluster), and Redis killed under the gateway (FailoverCounters' two policies).
#include <hiredis/hiredis.h>

#include <atomic>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "acme_request.h"
#include "ledger/rate_counters_test_suite.h"
#include "ledger_servers.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/failover_counters.h"
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
  const AcmeRequest acme({.rpm = 2, .tpm = 1000, .max_concurrency = 5});
  const AdmissionRequest& request = acme.request;
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

// A tenant limited to 10 requests per minute and 4 at a time, and one request of it.
struct OutageTenant : AcmeRequest {
  OutageTenant() : AcmeRequest({.rpm = 10, .max_concurrency = 4}) {}
};

// Counters over a server of the test's own, with every state change recorded.
struct OutageFixture {
  std::unique_ptr<testing_servers::RedisServer> server;
  FailoverCounters* counters = nullptr;
  std::unique_ptr<FailoverCounters> owned;
  std::vector<bool> states;

  explicit OutageFixture(RedisDownPolicy policy) {
    StatusOr<std::unique_ptr<testing_servers::RedisServer>> s =
        testing_servers::RedisServer::Start();
    TF_CHECK(s.ok()) << s.status();
    server = std::move(*s);
    RedisOptions options;
    options.port = server->port();
    options.timeout_micros = 500'000;
    owned = std::make_unique<FailoverCounters>(
        RedisCounters::Open(options),
        FailoverOptions{.policy = policy, .gateway_count = 2, .retry_micros = 0});
    counters = owned.get();
    counters->SetListener([this](bool up) { states.push_back(up); });
  }
};

TEST(RedisOutageTest, LocalPolicyFallsBackToAShareOfEachLimitAndReturnsToRedis) {
  OutageFixture f(RedisDownPolicy::kLocal);
  OutageTenant t;
  base::ManualClock clock;
  AdmissionController admission(clock, *f.counters, nullptr);
  StatusOr<Admission> first = admission.Admit(t.request);
  ASSERT_TRUE(first.ok() && first->allowed()) << first.status();
  ASSERT_TRUE(first->ticket->Finish(20).ok());
  EXPECT_TRUE(f.counters->up());

  f.server->Kill();
  // Two gateways configured: this one may hold 2 of the 4 slots and 5 of the 10 requests.
  StatusOr<Admission> a = admission.Admit(t.request);
  StatusOr<Admission> b = admission.Admit(t.request);
  ASSERT_TRUE(a.ok() && a->allowed()) << a.status();
  ASSERT_TRUE(b.ok() && b->allowed()) << b.status();
  EXPECT_FALSE(f.counters->up());
  StatusOr<Admission> c = admission.Admit(t.request);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_FALSE(c->allowed());
  EXPECT_EQ(c->rejection->reason, RejectReason::kConcurrency);
  ASSERT_TRUE(a->ticket->Finish(20).ok());
  ASSERT_TRUE(b->ticket->Finish(20).ok());
  for (int i = 0; i < 3; ++i) {
    StatusOr<Admission> more = admission.Admit(t.request);
    ASSERT_TRUE(more.ok() && more->allowed()) << i;
  }
  StatusOr<Admission> over = admission.Admit(t.request);
  ASSERT_TRUE(over.ok());
  ASSERT_FALSE(over->allowed());
  EXPECT_EQ(over->rejection->reason, RejectReason::kRequestRate);

  // Back on Redis once it answers (an empty server: the full limit again).
  ASSERT_TRUE(f.server->Restart().ok());
  for (int i = 0; i < 6; ++i) {
    StatusOr<Admission> back = admission.Admit(t.request);
    ASSERT_TRUE(back.ok() && back->allowed()) << i << " " << back.status();
  }
  EXPECT_TRUE(f.counters->up());
  EXPECT_EQ(f.states, (std::vector<bool>{true, false, true}));
}

TEST(RedisOutageTest, FailClosedPolicyRefusesWhileRedisIsDown) {
  OutageFixture f(RedisDownPolicy::kFailClosed);
  OutageTenant t;
  base::ManualClock clock;
  AdmissionController admission(clock, *f.counters, nullptr);
  ASSERT_TRUE(admission.Admit(t.request).ok());
  f.server->Kill();
  StatusOr<Admission> refused = admission.Admit(t.request);
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  EXPECT_FALSE(f.counters->up());
  ASSERT_TRUE(f.server->Restart().ok());
  StatusOr<Admission> back = admission.Admit(t.request);
  ASSERT_TRUE(back.ok() && back->allowed()) << back.status();
  EXPECT_EQ(f.states, (std::vector<bool>{true, false, true}));
}

TEST(RedisAuthTest, ConnectsWithThePasswordAndIsRefusedWithoutIt) {
  StatusOr<std::unique_ptr<testing_servers::RedisServer>> server =
      testing_servers::RedisServer::Start({.cluster = false, .password = "s3cret-pass"});
  ASSERT_TRUE(server.ok()) << server.status();
  RedisOptions options;
  options.port = (*server)->port();
  // No password: the scripts cannot even be loaded (NOAUTH).
  EXPECT_FALSE(RedisCounters::Connect(options).ok());
  options.password = "wrong";
  StatusOr<std::unique_ptr<RedisCounters>> wrong = RedisCounters::Connect(options);
  EXPECT_TRUE(absl::IsPermissionDenied(wrong.status())) << wrong.status();
  EXPECT_EQ(wrong.status().message().find("wrong"), std::string::npos);  // no secret in logs
  // The default user's password, then the same as an ACL user name + password.
  for (const char* user : {"", "default"}) {
    options.username = user;
    options.password = "s3cret-pass";
    StatusOr<std::unique_ptr<RedisCounters>> counters = RedisCounters::Connect(options);
    ASSERT_TRUE(counters.ok()) << counters.status();
    const BucketTake take{{TenantCounterKey("acme", "rpm"), 1, 60'000'000}, 1};
    StatusOr<TakeResult> taken = (*counters)->TryTake({&take, 1}, 1'000'000);
    ASSERT_TRUE(taken.ok()) << taken.status();
    EXPECT_EQ(taken->taken, *user == '\0');  // the second round finds the bucket spent
  }
}

// The number of clients the server at `port` has named `name`.
int NamedClients(int port, const std::string& name) {
  redisContext* c = redisConnect("127.0.0.1", port);
  auto* reply = static_cast<redisReply*>(redisCommand(c, "CLIENT LIST"));
  int count = 0;
  if (reply && reply->type == REDIS_REPLY_STRING) {
    const std::string list(reply->str, reply->len);
    for (size_t at = list.find("name=" + name + " "); at != std::string::npos;
         at = list.find("name=" + name + " ", at + 1)) {
      ++count;
    }
  }
  if (reply) freeReplyObject(reply);
  redisFree(c);
  return count;
}

TEST(RedisPoolTest, ConcurrentCallsUseSeveralConnections) {
  StatusOr<std::unique_ptr<testing_servers::RedisServer>> server =
      testing_servers::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisOptions options;
  options.port = (*server)->port();
  options.pool_size = 4;
  options.client_name = "pooltest";
  StatusOr<std::unique_ptr<RedisCounters>> counters = RedisCounters::Connect(options);
  ASSERT_TRUE(counters.ok()) << counters.status();
  // Eight threads taking at once: one connection behind one lock would serve them one by one.
  std::vector<std::thread> threads;
  std::atomic<int> taken{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const BucketTake take{{TenantCounterKey(fmt::format("t{}", t), "rpm"), 1000, 60'000'000}, 1};
      for (int i = 0; i < 200; ++i) {
        StatusOr<TakeResult> r = (*counters)->TryTake({&take, 1}, 1'000'000);
        if (r.ok() && r->taken) ++taken;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(taken.load(), 8 * 200);
  const int connections = NamedClients((*server)->port(), "pooltest");
  EXPECT_GT(connections, 1);
  EXPECT_LE(connections, 4);
}

TEST(RedisCountersUrlTest, ParsesUserAndPassword) {
  StatusOr<RedisOptions> o = ParseRedisUrl("redis://gw:p/ss@cache:6380/pre:");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->username, "gw");
  EXPECT_EQ(o->password, "p/ss");
  EXPECT_EQ(o->host, "cache");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->key_prefix, "pre:");
  o = ParseRedisUrl("redis://:only@h");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->username, "");
  EXPECT_EQ(o->password, "only");
  EXPECT_EQ(o->host, "h");
}

TEST(RedisDownPolicyTest, Parses) {
  EXPECT_EQ(*ParseRedisDownPolicy("local"), RedisDownPolicy::kLocal);
  EXPECT_EQ(*ParseRedisDownPolicy("fail-closed"), RedisDownPolicy::kFailClosed);
  EXPECT_FALSE(ParseRedisDownPolicy("open").ok());
}

}  // namespace
}  // namespace tokenfab::ledger
