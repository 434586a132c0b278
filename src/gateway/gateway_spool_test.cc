// The gateway with its ledger's store away: answers still go out, their usage durable in the
// local spool (ledger/usage_spool.h), and once the store returns every answer is billed once;
// a spool at its bound refuses with 503 rather than serving unbilled.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "gateway_relay_fixture.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::gateway {
namespace {

// A store whose usage writes fail while it is "down" (reads still work, as with a PostgreSQL
// primary lost behind a read replica, or a SQLite file whose disk is full), or wait while it is
// "hung" (a stopped server, a held lock).
class SwitchableStore final : public ledger::Store {
 public:
  explicit SwitchableStore(std::unique_ptr<ledger::Store> inner) : inner_(std::move(inner)) {}
  void SetDown(bool down) { down_.store(down); }
  void SetHung(bool hung) {
    {
      std::lock_guard lock(mu_);
      hung_ = hung;
    }
    released_.notify_all();
  }

  StatusOr<std::vector<ledger::InsertOutcome>> InsertUsage(
      std::span<const ledger::UsageEvent> events) override {
    {
      std::unique_lock lock(mu_);
      released_.wait(lock, [this] { return !hung_; });
    }
    if (down_.load()) return absl::UnavailableError("the ledger's store is down (test)");
    return inner_->InsertUsage(events);
  }
  std::string_view kind() const override { return inner_->kind(); }
  StatusOr<int> SchemaVersion() override { return inner_->SchemaVersion(); }
  Status PutTier(const ledger::Tier& t) override { return inner_->PutTier(t); }
  StatusOr<ledger::Tier> GetTier(std::string_view n) override { return inner_->GetTier(n); }
  StatusOr<std::vector<ledger::Tier>> ListTiers() override { return inner_->ListTiers(); }
  Status CreateTenant(const ledger::Tenant& t) override { return inner_->CreateTenant(t); }
  Status UpdateTenant(const ledger::Tenant& t) override { return inner_->UpdateTenant(t); }
  StatusOr<ledger::Tenant> GetTenant(std::string_view n) override { return inner_->GetTenant(n); }
  StatusOr<std::vector<ledger::Tenant>> ListTenants() override { return inner_->ListTenants(); }
  Status InsertApiKey(const ledger::ApiKeyRecord& k) override { return inner_->InsertApiKey(k); }
  StatusOr<ledger::ApiKeyRecord> GetApiKey(std::string_view id) override {
    return inner_->GetApiKey(id);
  }
  StatusOr<std::vector<ledger::ApiKeyRecord>> ListApiKeys(std::string_view t) override {
    return inner_->ListApiKeys(t);
  }
  Status RevokeApiKey(std::string_view id, int64_t w) override {
    return inner_->RevokeApiKey(id, w);
  }
  Status AddPrice(const ledger::PriceEntry& e) override { return inner_->AddPrice(e); }
  StatusOr<std::vector<ledger::PriceEntry>> ListPrices() override { return inner_->ListPrices(); }
  StatusOr<ledger::UsageEvent> GetUsage(std::string_view id) override {
    return inner_->GetUsage(id);
  }
  StatusOr<std::vector<ledger::UsageRow>> QueryUsage(const ledger::UsageQuery& q) override {
    return inner_->QueryUsage(q);
  }
  StatusOr<int64_t> TenantTokens(std::string_view t, int64_t f, int64_t to) override {
    return inner_->TenantTokens(t, f, to);
  }
  ledger::BatchStore* batches() override { return inner_->batches(); }

 private:
  std::unique_ptr<ledger::Store> inner_;
  std::atomic<bool> down_{false};
  std::mutex mu_;
  std::condition_variable released_;
  bool hung_ = false;
};

class GatewaySpoolTest : public GatewayRelayTest {
 protected:
  void SetUp() override {
    GatewayRelayTest::SetUp();
    auto switchable = std::make_unique<SwitchableStore>(std::move(store_));
    switchable_ = switchable.get();
    store_ = std::move(switchable);
  }
  void TearDown() override {
    switchable_->SetHung(false);  // the gateway's recorder waits for a hung write when it stops
    GatewayRelayTest::TearDown();
  }

  GatewayOptions SpoolOptions() {
    GatewayOptions options;
    options.usage_spool_dir = (dir_ / "spool").string();
    return options;
  }

  // The value of the metric line starting with `name ` in /metrics; -1 when absent.
  double Metric(const std::string& name) {
    const testing::ClientResult r = client_.Get(gateway_->port(), "/metrics");
    const size_t at = r.body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + name.size() + 2));
  }

  SwitchableStore* switchable_ = nullptr;
};

TEST_F(GatewaySpoolTest, WithTheStoreDownAnswersGoOutAndAreBilledOnceWhenItReturns) {
  AddUpstream({.tokens = 6});
  StartGateway(SpoolOptions());
  switchable_->SetDown(true);
  std::map<std::string, testing::SeenUsage> seen;  // request id -> usage the client was shown
  for (int i = 0; i < 10; ++i) {
    const bool stream = i % 2 == 0;
    const testing::ClientResult r = Chat(fmt::format("hello {}", i), stream, stream);
    ASSERT_EQ(r.status, 200) << r.body;
    if (stream) {
      EXPECT_TRUE(r.saw_done()) << "the stream must end with [DONE], not an error";
    }
    EXPECT_FALSE(r.error()) << *r.error();
    ASSERT_TRUE(r.usage());
    seen[r.header("x-request-id")] = *r.usage();
  }
  EXPECT_EQ(Metric("tokenfab_gateway_ledger_outage"), 1);
  EXPECT_EQ(Metric("tokenfab_gateway_usage_spool_pending_events"), 10);
  EXPECT_GT(Metric("tokenfab_gateway_usage_spool_pending_bytes"), 0);
  EXPECT_EQ(Metric("tokenfab_gateway_usage_spool_spooled_total"), 10);
  EXPECT_EQ(Metric("tokenfab_gateway_usage_spool_replayed_total"), 0);
  // Counters, for rate() and increase(): a scraper must not read them as gauges.
  const std::string metrics = client_.Get(gateway_->port(), "/metrics").body;
  EXPECT_NE(metrics.find("# TYPE tokenfab_gateway_usage_spool_spooled_total counter"),
            std::string::npos);
  EXPECT_NE(metrics.find("# TYPE tokenfab_gateway_usage_spool_replayed_total counter"),
            std::string::npos);
  EXPECT_FALSE(store_->GetUsage(seen.begin()->first).ok());  // not in the store yet

  switchable_->SetDown(false);
  ASSERT_TRUE(WaitFor([&] { return Metric("tokenfab_gateway_ledger_outage") == 0; }));
  for (const auto& [id, usage] : seen) {
    StatusOr<ledger::UsageEvent> e = store_->GetUsage(id);
    ASSERT_TRUE(e.ok()) << id << ": " << e.status();
    EXPECT_EQ(e->completion_tokens, usage.completion_tokens) << id;
    EXPECT_EQ(e->prompt_tokens, usage.prompt_tokens) << id;
    EXPECT_EQ(e->status, "ok");
  }
  StatusOr<std::vector<ledger::UsageRow>> rows = store_->QueryUsage({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].requests, 10);
  EXPECT_EQ((*rows)[0].completion_tokens, 60);  // 6 per answer, each once
  EXPECT_EQ(Metric("tokenfab_gateway_usage_spool_pending_events"), 0);
  EXPECT_EQ(Metric("tokenfab_gateway_usage_spool_replayed_total"), 10);
  EXPECT_EQ(Metric("tokenfab_gateway_usage_spool_spooled_total"), 10);
  EXPECT_EQ(gateway_->stats().record_failures, 0);
}

TEST_F(GatewaySpoolTest, AFullSpoolRefusesWith503AndRetryAfter) {
  AddUpstream({.tokens = 3});
  GatewayOptions options = SpoolOptions();
  options.usage_spool_max_events = 2;
  StartGateway(options);
  switchable_->SetDown(true);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Chat("hello", false).status, 200);
  const testing::ClientResult refused = Chat("hello", true);
  EXPECT_EQ(refused.status, 503);
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_NE(refused.body.find("ledger_unavailable"), std::string::npos) << refused.body;
  EXPECT_EQ(upstreams_[0]->requests(), 2);  // the refused one never reached an upstream

  switchable_->SetDown(false);
  ASSERT_TRUE(WaitFor([&] { return Chat("hello", false).status == 200; }));
  int64_t recorded = 0;
  EXPECT_TRUE(WaitFor([&] {
    StatusOr<std::vector<ledger::UsageRow>> rows = store_->QueryUsage({});
    recorded = rows.ok() && rows->size() == 1u ? (*rows)[0].requests : 0;
    return recorded == 3;
  })) << recorded;
}

// The bound comes from the fleet file's [ledger] table, a reload applies a new one, and a flag
// overrides the file.
TEST_F(GatewaySpoolTest, TheFleetFileSetsTheSpoolBoundAndAReloadChangesIt) {
  AddUpstream({.tokens = 3});
  StartGateway(SpoolOptions(), "[ledger]\nusage_spool_max_events = 1\n");
  switchable_->SetDown(true);
  ASSERT_EQ(Chat("hello", false).status, 200);
  EXPECT_EQ(Chat("hello", false).status, 503);  // one event pending: the file's bound
  ASSERT_TRUE(gateway_->Reload(Fleet("[ledger]\nusage_spool_max_events = 3\n")).ok());
  EXPECT_EQ(Chat("hello", false).status, 200);
  EXPECT_EQ(Chat("hello", false).status, 200);
  EXPECT_EQ(Chat("hello", false).status, 503);  // three pending
  switchable_->SetDown(false);
}

TEST_F(GatewaySpoolTest, TheSpoolBoundFlagOverridesTheFleetFile) {
  AddUpstream({.tokens = 3});
  GatewayOptions options = SpoolOptions();
  options.usage_spool_max_events = 2;
  StartGateway(options, "[ledger]\nusage_spool_max_events = 1\n");
  switchable_->SetDown(true);
  ASSERT_EQ(Chat("hello", false).status, 200);
  ASSERT_EQ(Chat("hello", false).status, 200);
  EXPECT_EQ(Chat("hello", false).status, 503);
  switchable_->SetDown(false);
}

// A usage write the store does not answer within --ledger-write-timeout-ms is counted in
// /metrics (and its batch spooled, so the answer goes out); a write answered in time is not.
TEST_F(GatewaySpoolTest, AHungStoreWriteCountsAsALedgerWriteTimeout) {
  AddUpstream({.tokens = 3});
  GatewayOptions options = SpoolOptions();
  options.ledger_write_timeout = std::chrono::milliseconds(100);
  StartGateway(options);
  const std::string name = "tokenfab_gateway_ledger_write_timeouts_total";
  ASSERT_EQ(Chat("hello", false).status, 200);
  EXPECT_EQ(Metric(name), 0);  // exported before the first timeout
  EXPECT_NE(client_.Get(gateway_->port(), "/metrics").body.find("# TYPE " + name + " counter"),
            std::string::npos);

  switchable_->SetHung(true);
  const testing::ClientResult r = Chat("hello", false);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_GE(Metric(name), 1);
  EXPECT_EQ(Metric("tokenfab_gateway_ledger_outage"), 1);
  switchable_->SetHung(false);
  ASSERT_TRUE(WaitFor([&] { return Metric("tokenfab_gateway_ledger_outage") == 0; }));
  const double after_outage = Metric(name);
  ASSERT_EQ(Chat("hello", false).status, 200);
  EXPECT_EQ(Metric(name), after_outage);
}

}  // namespace
}  // namespace tokenfab::gateway
