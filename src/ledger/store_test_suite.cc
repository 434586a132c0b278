#include "store_test_suite.h"

#include <atomic>
#include <set>
#include <thread>

#include "tokenfab/ledger/usage_recorder.h"

namespace tokenfab::ledger {

void StoreTest::SetUp() {
  StatusOr<std::unique_ptr<Store>> store = GetParam().open(&location_);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
}

UsageEvent StoreTest::Event(std::string request_id, std::string tenant, int64_t finished) {
  UsageEvent e;
  e.request_id = std::move(request_id);
  e.tenant = std::move(tenant);
  e.key_id = "KEY000000001";
  e.model = "llama3-8b";
  e.region = "eu-west";
  e.site = "paris-1";
  e.upstream = "node-7";
  e.prompt_tokens = 120;
  e.cached_tokens = 64;
  e.completion_tokens = 30;
  e.ttft_micros = 150'000;
  e.tpot_micros = 20'000;
  e.energy_wh = 0.125;
  e.carbon_g = 0.0375;
  e.cost = 1234;
  e.started_micros = finished - 750'000;
  e.finished_micros = finished;
  return e;
}

namespace {

Tenant MakeTenant(std::string name, std::string tier = "standard") {
  Tenant t;
  t.name = std::move(name);
  t.tier = std::move(tier);
  t.created_micros = 1'700'000'000'000'000;
  return t;
}

TEST_P(StoreTest, MigratesOnceAndSeedsDefaultTiers) {
  EXPECT_EQ(*store_->SchemaVersion(), 6);
  StatusOr<std::vector<Tier>> tiers = store_->ListTiers();
  ASSERT_TRUE(tiers.ok()) << tiers.status();
  ASSERT_EQ(tiers->size(), 3u);
  EXPECT_EQ((*tiers)[0].name, "free");
  EXPECT_EQ((*tiers)[0].limits.rpm, 20);
  EXPECT_EQ((*tiers)[0].limits.budget_period, BudgetPeriod::kMonth);
  EXPECT_EQ((*tiers)[1].name, "premium");
  EXPECT_EQ((*tiers)[1].priority, 2);
  EXPECT_EQ((*tiers)[2].name, "standard");
  // Reopening the same ledger applies nothing again and keeps the data.
  ASSERT_TRUE(store_->CreateTenant(MakeTenant("acme")).ok());
  StatusOr<std::unique_ptr<Store>> again = OpenStore(location_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*(*again)->SchemaVersion(), 6);
  EXPECT_EQ((*again)->ListTiers()->size(), 3u);
  EXPECT_TRUE((*again)->GetTenant("acme").ok());
}

TEST_P(StoreTest, TiersRoundTripAndUpdate) {
  Tier tier;
  tier.name = "gold";
  tier.ttft_slo_ms = 300;
  tier.tpot_slo_ms = 25;
  tier.priority = 5;
  tier.limits.rpm = 100;
  tier.limits.token_budget = 5000;
  tier.limits.budget_period = BudgetPeriod::kDay;
  tier.max_tokens = 4096;
  ASSERT_TRUE(store_->PutTier(tier).ok());
  EXPECT_EQ(*store_->GetTier("gold"), tier);
  EXPECT_EQ(store_->GetTier("gold")->max_tokens, 4096);
  tier.limits.rpm.reset();
  tier.max_tokens.reset();
  tier.priority = 6;
  ASSERT_TRUE(store_->PutTier(tier).ok());
  EXPECT_EQ(*store_->GetTier("gold"), tier);
  EXPECT_TRUE(absl::IsNotFound(store_->GetTier("tin").status()));
  Tier bad;
  bad.name = "bad name";
  EXPECT_FALSE(store_->PutTier(bad).ok());
}

TEST_P(StoreTest, TenantsRoundTrip) {
  Tenant t = MakeTenant("acme", "premium");
  t.allowed_regions = {"eu-west", "eu-central"};
  t.limits.tpm = 777;
  t.limits.max_concurrency = 3;
  ASSERT_TRUE(store_->CreateTenant(t).ok());
  EXPECT_EQ(*store_->GetTenant("acme"), t);
  EXPECT_TRUE(absl::IsAlreadyExists(store_->CreateTenant(t)));
  EXPECT_TRUE(absl::IsNotFound(store_->CreateTenant(MakeTenant("x", "no-such-tier"))));
  EXPECT_TRUE(absl::IsNotFound(store_->GetTenant("nobody").status()));

  t.tier = "free";
  t.allowed_regions.clear();
  t.limits = Limits();
  t.limits.rpm = 5;
  ASSERT_TRUE(store_->UpdateTenant(t).ok());
  EXPECT_EQ(*store_->GetTenant("acme"), t);
  EXPECT_TRUE(absl::IsNotFound(store_->UpdateTenant(MakeTenant("ghost"))));
  ASSERT_TRUE(store_->CreateTenant(MakeTenant("beta")).ok());
  StatusOr<std::vector<Tenant>> all = store_->ListTenants();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "acme");
  EXPECT_EQ((*all)[1].name, "beta");
}

TEST_P(StoreTest, ApiKeysAreStoredHashedAndRevocable) {
  ASSERT_TRUE(store_->CreateTenant(MakeTenant("acme")).ok());
  StatusOr<NewApiKey> key = GenerateApiKey(SecureRandomBytes);
  ASSERT_TRUE(key.ok());
  key->record.tenant = "acme";
  key->record.created_micros = 10;
  ASSERT_TRUE(store_->InsertApiKey(key->record).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store_->InsertApiKey(key->record)));
  ApiKeyRecord orphan = key->record;
  orphan.key_id = "ORPHAN000000";
  orphan.tenant = "ghost";
  EXPECT_TRUE(absl::IsNotFound(store_->InsertApiKey(orphan)));

  StatusOr<ApiKeyRecord> stored = store_->GetApiKey(key->record.key_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, key->record);
  EXPECT_TRUE(ApiKeyMatches(*stored, key->plaintext));
  EXPECT_NE(stored->hash_hex.find_first_not_of("0123456789abcdef"), 0u);
  EXPECT_EQ(stored->hash_hex.find(key->plaintext.substr(15)), std::string::npos);

  ASSERT_TRUE(store_->RevokeApiKey(key->record.key_id, 50).ok());
  ASSERT_TRUE(store_->RevokeApiKey(key->record.key_id, 99).ok());  // keeps the first time
  EXPECT_EQ(store_->GetApiKey(key->record.key_id)->revoked_micros, 50);
  EXPECT_TRUE(absl::IsNotFound(store_->RevokeApiKey("NOSUCHKEY000", 1)));

  ASSERT_TRUE(store_->CreateTenant(MakeTenant("beta")).ok());
  StatusOr<NewApiKey> other = GenerateApiKey(SecureRandomBytes);
  other->record.tenant = "beta";
  other->record.created_micros = 20;
  ASSERT_TRUE(store_->InsertApiKey(other->record).ok());
  EXPECT_EQ(store_->ListApiKeys("")->size(), 2u);
  ASSERT_EQ(store_->ListApiKeys("beta")->size(), 1u);
  EXPECT_EQ((*store_->ListApiKeys("beta"))[0].key_id, other->record.key_id);
}

TEST_P(StoreTest, PricesRoundTrip) {
  PriceEntry p{.model = "llama3-8b", .region = "eu-west", .input_per_million = 150'000,
               .cached_input_per_million = 75'000, .output_per_million = 600'000,
               .currency = "EUR", .effective_from_micros = 100};
  ASSERT_TRUE(store_->AddPrice(p).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store_->AddPrice(p)));
  PriceEntry later = p;
  later.effective_from_micros = 200;
  later.output_per_million = 700'000;
  later.flex_percent = 45;  // the tiers' percentages round-trip too
  later.batch_percent = 30;
  later.priority_percent = 175;
  ASSERT_TRUE(store_->AddPrice(later).ok());
  StatusOr<std::vector<PriceEntry>> prices = store_->ListPrices();
  ASSERT_EQ(prices->size(), 2u);
  EXPECT_EQ((*prices)[0], p);
  EXPECT_EQ((*prices)[1], later);
  PriceEntry bad = p;
  bad.input_per_million = -1;
  EXPECT_FALSE(store_->AddPrice(bad).ok());
}

TEST_P(StoreTest, UsageEventsRoundTripAndAreIdempotent) {
  UsageEvent a = Event("req-1");
  a.request_id = "req-\"quoted\",\\{odd}";  // survives array and SQL quoting
  a.energy_wh = 0.1 + 0.2;
  UsageEvent b = Event("req-2");
  b.service_tier = "flex";  // the tiers round-trip
  b.billed_tier = "batch";
  UsageEvent a_again = a;
  a_again.completion_tokens = 999;  // a retry with different numbers must not overwrite
  StatusOr<std::vector<InsertOutcome>> outcomes =
      store_->InsertUsage(std::vector<UsageEvent>{a, b, a_again});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  EXPECT_EQ(*outcomes, (std::vector<InsertOutcome>{InsertOutcome::kInserted,
                                                    InsertOutcome::kInserted,
                                                    InsertOutcome::kDuplicate}));
  EXPECT_EQ(*store_->GetUsage(a.request_id), a);
  EXPECT_EQ(*store_->GetUsage("req-2"), b);
  outcomes = store_->InsertUsage(std::vector<UsageEvent>{b, Event("req-3")});
  EXPECT_EQ(*outcomes, (std::vector<InsertOutcome>{InsertOutcome::kDuplicate,
                                                    InsertOutcome::kInserted}));
  EXPECT_TRUE(absl::IsNotFound(store_->GetUsage("req-4").status()));
  StatusOr<std::vector<UsageRow>> total = store_->QueryUsage({});
  ASSERT_EQ(total->size(), 1u);
  EXPECT_EQ((*total)[0].requests, 3);
  EXPECT_EQ((*total)[0].completion_tokens, 90);
}

TEST_P(StoreTest, ScanUsageListsTheRangeInStartOrder) {
  UsageEvent late = Event("req-late", "acme", 3'000'000);
  late.started_micros = 100;  // started first though it finished last
  UsageEvent early = Event("req-early", "acme", 2'000'000);
  const UsageEvent outside = Event("req-outside", "acme", 9'000'000);
  ASSERT_TRUE(store_->InsertUsage(std::vector<UsageEvent>{early, late, outside}).ok());
  std::vector<UsageEvent> seen;
  ASSERT_TRUE(
      store_->ScanUsage(0, 5'000'000, [&](const UsageEvent& e) { seen.push_back(e); }).ok());
  ASSERT_EQ(seen.size(), 2u);
  late.recorded_micros = seen[0].recorded_micros;
  early.recorded_micros = seen[1].recorded_micros;
  EXPECT_EQ(seen[0], late);
  EXPECT_EQ(seen[1], early);
}

TEST_P(StoreTest, UsageQueriesGroupAndFilter) {
  const int64_t day0 = 19'700 * kMicrosPerDay;
  std::vector<UsageEvent> events;
  auto add = [&](std::string id, std::string tenant, std::string model, std::string region,
                 int64_t finished, int64_t prompt, int64_t completion, Micros cost) {
    UsageEvent e = Event(std::move(id), std::move(tenant), finished);
    e.model = std::move(model);
    e.region = std::move(region);
    e.prompt_tokens = prompt;
    e.cached_tokens = 0;
    e.completion_tokens = completion;
    e.cost = cost;
    e.energy_wh = 0.5;
    e.carbon_g = 0.25;
    events.push_back(e);
  };
  add("1", "acme", "m1", "eu", day0 + 10, 100, 10, 5);
  add("2", "acme", "m1", "eu", day0 + kMicrosPerDay + 10, 200, 20, 7);
  add("3", "acme", "m2", "us", day0 + 20, 300, 30, 11);
  add("4", "beta", "m1", "us", day0 + 30, 400, 40, 13);
  ASSERT_TRUE(store_->InsertUsage(events).ok());

  UsageQuery by_tenant;
  by_tenant.group_by = {UsageDimension::kTenant};
  StatusOr<std::vector<UsageRow>> rows = store_->QueryUsage(by_tenant);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], (UsageRow{.keys = {"acme"}, .currency = "USD", .requests = 3,
                                  .prompt_tokens = 600, .cached_tokens = 0,
                                  .completion_tokens = 60, .cost = 23, .energy_wh = 1.5,
                                  .carbon_g = 0.75, .energy_cost = 0,
                                  .energy_wh_unpriced = 1.5}));
  EXPECT_EQ((*rows)[1].keys, std::vector<std::string>{"beta"});
  EXPECT_EQ((*rows)[1].cost, 13);

  UsageQuery by_day_model;
  by_day_model.group_by = {UsageDimension::kDay, UsageDimension::kModel};
  by_day_model.tenant = "acme";
  rows = store_->QueryUsage(by_day_model);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].keys, (std::vector<std::string>{FormatUtcDay(19'700), "m1"}));
  EXPECT_EQ((*rows)[1].keys, (std::vector<std::string>{FormatUtcDay(19'700), "m2"}));
  EXPECT_EQ((*rows)[2].keys, (std::vector<std::string>{FormatUtcDay(19'701), "m1"}));

  UsageQuery window;
  window.group_by = {UsageDimension::kRegion};
  window.from_micros = day0 + 15;
  window.to_micros = day0 + kMicrosPerDay;
  rows = store_->QueryUsage(window);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].keys, std::vector<std::string>{"us"});
  EXPECT_EQ((*rows)[0].requests, 2);

  EXPECT_EQ(*store_->TenantTokens("acme", day0, day0 + kMicrosPerDay), 110 + 330);
  EXPECT_EQ(*store_->TenantTokens("acme", 0, INT64_MAX), 660);
  EXPECT_EQ(*store_->TenantTokens("ghost", 0, INT64_MAX), 0);
}

TEST_P(StoreTest, EnergyCostIsStoredPerEventAndSummedPerTenant) {
  UsageEvent a = Event("e-1", "acme");
  a.energy_wh = 2.5;
  a.energy_cost = 0.00045;  // 2.5 Wh at 0.18 a kWh
  UsageEvent b = Event("e-2", "acme");
  b.energy_wh = 4.0;
  b.energy_cost = 0.00032;  // 4 Wh at 0.08 a kWh
  // Recorded before energy costs were stored.
  UsageEvent old = Event("e-3", "acme");
  old.energy_wh = 1.25;
  UsageEvent other = Event("e-4", "beta");
  other.energy_wh = 1.0;
  other.energy_cost = 0.0001;
  ASSERT_TRUE(store_->InsertUsage(std::vector<UsageEvent>{a, b, old, other}).ok());
  EXPECT_EQ(store_->GetUsage("e-1")->energy_cost, 0.00045);
  EXPECT_EQ(store_->GetUsage("e-3")->energy_cost, std::nullopt);

  UsageQuery by_tenant;
  by_tenant.group_by = {UsageDimension::kTenant};
  StatusOr<std::vector<UsageRow>> rows = store_->QueryUsage(by_tenant);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_DOUBLE_EQ((*rows)[0].energy_cost, 0.00077);
  EXPECT_DOUBLE_EQ((*rows)[0].energy_wh, 7.75);
  EXPECT_DOUBLE_EQ((*rows)[0].energy_wh_unpriced, 1.25);  // only the old event's
  EXPECT_DOUBLE_EQ((*rows)[1].energy_cost, 0.0001);
  EXPECT_DOUBLE_EQ((*rows)[1].energy_wh_unpriced, 0);
}

TEST_P(StoreTest, UsageGroupsBySiteTierAndHour) {
  ASSERT_TRUE(store_->CreateTenant(MakeTenant("acme", "premium")).ok());
  const int64_t hour0 = 19'700 * kMicrosPerDay + 5 * kMicrosPerHour;
  std::vector<UsageEvent> events;
  auto add = [&](std::string id, std::string tenant, std::string site, int64_t finished) {
    UsageEvent e = Event(std::move(id), std::move(tenant), finished);
    e.site = std::move(site);
    events.push_back(e);
  };
  add("1", "acme", "paris-1", hour0 + 1);
  add("2", "acme", "paris-1", hour0 + kMicrosPerHour - 1);
  add("3", "acme", "lyon-2", hour0 + kMicrosPerHour);
  add("4", "gone", "paris-1", hour0 + 2);  // a tenant no longer in the tenants table
  ASSERT_TRUE(store_->InsertUsage(events).ok());

  UsageQuery query;
  query.group_by = {UsageDimension::kTier, UsageDimension::kHour, UsageDimension::kSite};
  StatusOr<std::vector<UsageRow>> rows = store_->QueryUsage(query);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].keys, (std::vector<std::string>{"", "2023-12-09T05", "paris-1"}));
  EXPECT_EQ((*rows)[0].requests, 1);
  EXPECT_EQ((*rows)[1].keys, (std::vector<std::string>{"premium", "2023-12-09T05", "paris-1"}));
  EXPECT_EQ((*rows)[1].requests, 2);
  EXPECT_EQ((*rows)[2].keys, (std::vector<std::string>{"premium", "2023-12-09T06", "lyon-2"}));
  EXPECT_EQ(*ParseUtcHour("2023-12-09T06"), hour0 + kMicrosPerHour);
}

TEST_P(StoreTest, ConcurrentDuplicateSubmissionsRecordOnce) {
  // 8 threads each submit the same 50 request ids through a recorder, and 8 more through
  // direct batches: every id must be inserted exactly once in total.
  UsageRecorder recorder(*store_, base::RealClock::Get(), {.max_batch = 16});
  std::atomic<int> inserted{0}, duplicates{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<StatusOr<InsertOutcome>>> futures;
      for (int i = 0; i < 50; ++i) {
        futures.push_back(recorder.Record(Event(fmt::format("dup-{}", (i * 7 + t) % 50))));
      }
      for (auto& f : futures) {
        StatusOr<InsertOutcome> outcome = f.get();
        if (!outcome.ok()) {
          ++failures;
        } else if (*outcome == InsertOutcome::kInserted) {
          ++inserted;
        } else {
          ++duplicates;
        }
      }
    });
  }
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      std::vector<UsageEvent> batch;
      for (int i = 0; i < 50; ++i) batch.push_back(Event(fmt::format("dup-{}", i)));
      StatusOr<std::vector<InsertOutcome>> outcomes = store_->InsertUsage(batch);
      if (!outcomes.ok()) {
        failures += 50;
        return;
      }
      for (InsertOutcome o : *outcomes) (o == InsertOutcome::kInserted ? inserted : duplicates)++;
    });
  }
  for (std::thread& t : threads) t.join();
  recorder.Shutdown();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(inserted.load(), 50);
  EXPECT_EQ(duplicates.load(), 16 * 50 - 50);
  EXPECT_EQ((*store_->QueryUsage({}))[0].requests, 50);
}

}  // namespace
}  // namespace tokenfab::ledger
