// The store conformance suite on SQLite, plus SQLite-specific checks.
#include <sqlite3.h>

#include <atomic>
#include <filesystem>

#include <fmt/format.h>

#include "schema.h"
#include "store_test_suite.h"

namespace tokenfab::ledger {
namespace {

std::string FreshSqlitePath() {
  static std::atomic<int> counter{0};
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) /
                                    fmt::format("ledger-{}-{}", getpid(), counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "ledger.sqlite").string();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest,
                         testing::Values(StoreFactory{
                             "sqlite",
                             [](std::string* location) {
                               *location = FreshSqlitePath();
                               return OpenStore(*location);
                             }}),
                         PrintStoreFactory);

// Reads one text value with the plain SQLite API, bypassing the store.
std::string Pragma(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST(SqliteStoreTest, UsesWriteAheadLog) {
  const std::string path = FreshSqlitePath();
  ASSERT_TRUE(OpenSqliteStore(path).ok());
  EXPECT_EQ(Pragma(path, "PRAGMA journal_mode"), "wal");
}

TEST(SqliteStoreTest, NoPlaintextKeyAnywhereInTheFile) {
  const std::string path = FreshSqlitePath();
  StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  Tenant tenant;
  tenant.name = "acme";
  tenant.tier = "free";
  ASSERT_TRUE((*store)->CreateTenant(tenant).ok());
  StatusOr<NewApiKey> key = GenerateApiKey(SecureRandomBytes);
  key->record.tenant = "acme";
  ASSERT_TRUE((*store)->InsertApiKey(key->record).ok());
  store->reset();  // checkpoint and close
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) {
    std::FILE* f = std::fopen((path + suffix).c_str(), "rb");
    if (!f) continue;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) bytes.append(buffer, n);
    std::fclose(f);
  }
  ASSERT_NE(bytes.find(key->record.hash_hex), std::string::npos);  // we did read the table
  EXPECT_EQ(bytes.find(key->plaintext.substr(3 + kApiKeyIdChars)), std::string::npos);
}

// Runs `sql` with the plain SQLite API; the error text, empty on success.
std::string Exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  char* error = nullptr;
  sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string out = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  return out;
}

TEST(SqliteStoreTest, ALedgerOfSchemaTwoMigratesAndKeepsItsRowsReadable) {
  // A ledger written before service tiers: migrations 1 and 2 only, one price and one event.
  const std::string path = FreshSqlitePath();
  std::string sql(internal::kCreateMigrationsTable);
  sql += ";\n";
  for (const internal::Migration& m : internal::Migrations()) {
    if (m.version > 2) break;
    sql += fmt::format("{}\nINSERT INTO schema_migrations VALUES ({}, 0);\n", m.sql, m.version);
  }
  sql +=
      "INSERT INTO price_books (model, region, effective_from_us, input_per_million, "
      "cached_input_per_million, output_per_million, currency) VALUES ('m', '*', 0, 1, 1, 1, "
      "'USD');"
      "INSERT INTO usage_events (request_id, tenant, key_id, model, region, site, upstream, "
      "prompt_tokens, cached_tokens, completion_tokens, ttft_us, tpot_us, status, http_status, "
      "energy_wh, carbon_g, cost_micros, currency, started_us, finished_us, recorded_us) VALUES "
      "('old-1', 'acme', 'k', 'm', 'eu', 's', 'u', 10, 0, 5, 1, 1, 'ok', 200, 0.1, 0.1, 42, "
      "'USD', 1, 2, 3);";
  ASSERT_EQ(Exec(path, sql), "");
  StatusOr<std::unique_ptr<Store>> store = OpenStore(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->SchemaVersion(), 6);
  StatusOr<UsageEvent> old = (*store)->GetUsage("old-1");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->cost, 42);
  EXPECT_EQ(old->energy_cost, std::nullopt);  // priced at report time instead
  StatusOr<std::vector<UsageRow>> total = (*store)->QueryUsage({});
  ASSERT_TRUE(total.ok()) << total.status();
  ASSERT_EQ(total->size(), 1u);
  EXPECT_DOUBLE_EQ((*total)[0].energy_wh_unpriced, 0.1);
  EXPECT_EQ((*total)[0].energy_cost, 0);
  EXPECT_EQ(old->service_tier, "default");
  EXPECT_EQ(old->billed_tier, "default");
  StatusOr<std::vector<PriceEntry>> prices = (*store)->ListPrices();
  ASSERT_TRUE(prices.ok()) << prices.status();
  ASSERT_EQ(prices->size(), 1u);
  EXPECT_EQ((*prices)[0].flex_percent, 50);
  EXPECT_EQ((*prices)[0].batch_percent, 50);
  EXPECT_EQ((*prices)[0].priority_percent, 200);
}

TEST(SqliteStoreTest, UnopenablePathIsAnError) {
  StatusOr<std::unique_ptr<Store>> store = OpenStore("/nonexistent-dir/ledger.sqlite");
  EXPECT_FALSE(store.ok());
}

TEST(StoreLocationTest, RecognisesPostgresLocations) {
  EXPECT_TRUE(IsPostgresLocation("postgresql://u@h:5432/db"));
  EXPECT_TRUE(IsPostgresLocation("postgres://h/db"));
  EXPECT_TRUE(IsPostgresLocation("host=127.0.0.1 port=5432"));
  EXPECT_FALSE(IsPostgresLocation("data/ledger.sqlite"));
}

}  // namespace
}  // namespace tokenfab::ledger
