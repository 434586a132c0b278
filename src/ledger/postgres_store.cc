// PostgresStore: the ledger shared by several gateways, over libpq.
//
// Connections: a PostgresPool (postgres_pool.h) of at most PostgresOptions::pool_size.
// Durability: PostgreSQL's default synchronous_commit=on makes COMMIT wait for the WAL flush.
// Usage batches are one INSERT ... SELECT FROM unnest(arrays) ... ON CONFLICT DO NOTHING
// RETURNING request_id: one round trip for the whole batch, and the RETURNING list tells which
// rows were new.
//
// Thread-safety: every method may be called from any thread; each call holds one pooled
// connection for its duration.
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "row_mapping.h"
#include "schema.h"
#include "sql_store.h"
#include "tokenfab/ledger/postgres_pool.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {
namespace {

constexpr int64_t kMigrationLockId = 7'292'001;  // pg_advisory_xact_lock key for migrations

using Lease = PostgresSession;

// One element of a PostgreSQL array literal: {"a","b\\"c"}, {1,2}, {0.5,NULL}.
void AppendArrayElement(const internal::SqlValue& value, std::string& out) {
  if (const auto* v = std::get_if<int64_t>(&value)) {
    out += std::to_string(*v);
  } else if (const auto* d = std::get_if<double>(&value)) {
    out += fmt::format("{:.17g}", *d);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    out += '"';
    for (char c : *text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } else {
    out += "NULL";
  }
}

// The batch as one array literal per usage_events column, in kUsageColumns order.
SqlParams UsageColumnArrays(std::span<const UsageEvent> events) {
  std::vector<SqlParams> rows;
  rows.reserve(events.size());
  for (const UsageEvent& e : events) rows.push_back(internal::UsageParams(e));
  SqlParams arrays;
  for (int column = 0; column < internal::kUsageColumnCount; ++column) {
    std::string array = "{";
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i) array += ',';
      AppendArrayElement(rows[i][column], array);
    }
    array += '}';
    arrays.push_back(std::move(array));
  }
  return arrays;
}

class PostgresStore final : public internal::SqlStore {
 public:
  PostgresStore(std::string conninfo, PostgresOptions options)
      : pool_(std::move(conninfo), options.pool_size, "ledger") {}

  Status Init() {
    TF_ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease, Acquire());
    TF_RETURN_IF_ERROR(lease->Exec("BEGIN"));
    Status status = Migrate(*lease);
    if (!status.ok()) {
      (void)lease->Exec("ROLLBACK");
      return status;
    }
    return lease->Exec("COMMIT");
  }

  std::string_view kind() const override { return "postgresql"; }

  StatusOr<std::vector<InsertOutcome>> InsertUsage(std::span<const UsageEvent> events) override;

 protected:
  StatusOr<std::unique_ptr<SqlSession>> OpenSession() override {
    TF_ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease, Acquire());
    return std::unique_ptr<SqlSession>(std::move(lease));
  }

 private:
  static Status Migrate(Lease& lease) {
    TF_RETURN_IF_ERROR(
        lease.Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockId)));
    TF_RETURN_IF_ERROR(lease.Exec(internal::kCreateMigrationsTable));
    for (const internal::Migration& migration : internal::Migrations()) {
      bool applied = false;
      TF_RETURN_IF_ERROR(lease.Query("SELECT 1 FROM schema_migrations WHERE version = ?1",
                                     {int64_t{migration.version}},
                                     [&](const SqlRow&) { applied = true; }));
      if (applied) continue;
      TF_RETURN_IF_ERROR(lease.Exec(migration.sql));
      TF_RETURN_IF_ERROR(lease
                             .Execute("INSERT INTO schema_migrations (version, applied_us) "
                                      "VALUES (?1, CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS "
                                      "BIGINT))",
                                      {int64_t{migration.version}})
                             .status());
    }
    return absl::OkStatus();
  }

  StatusOr<std::unique_ptr<Lease>> Acquire() { return pool_.Acquire(); }

  PostgresPool pool_;
};

StatusOr<std::vector<InsertOutcome>> PostgresStore::InsertUsage(
    std::span<const UsageEvent> events) {
  if (events.empty()) return std::vector<InsertOutcome>();
  const std::string sql = fmt::format(
      "INSERT INTO usage_events ({0}) SELECT * FROM unnest(?1::text[], ?2::text[], ?3::text[], "
      "?4::text[], ?5::text[], ?6::text[], ?7::text[], ?8::bigint[], ?9::bigint[], "
      "?10::bigint[], ?11::bigint[], ?12::bigint[], ?13::text[], ?14::integer[], "
      "?15::float8[], ?16::float8[], ?17::bigint[], ?18::text[], ?19::bigint[], ?20::bigint[], "
      "?21::bigint[], ?22::text[], ?23::text[], ?24::float8[]) AS t({0}) ON CONFLICT (request_id) "
      "DO NOTHING "
      "RETURNING request_id",
      internal::kUsageColumns);

  TF_ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease, Acquire());
  // A single statement is its own transaction: all rows commit together or none does.
  std::unordered_set<std::string> inserted;
  TF_RETURN_IF_ERROR(lease->Query(sql, UsageColumnArrays(events),
                                  [&](const SqlRow& row) { inserted.insert(row.Text(0)); }));
  std::vector<InsertOutcome> outcomes;
  outcomes.reserve(events.size());
  for (const UsageEvent& e : events) {
    // The first occurrence of an id in the batch is the one inserted; erase so later ones are
    // duplicates.
    outcomes.push_back(inserted.erase(e.request_id) > 0 ? InsertOutcome::kInserted
                                                        : InsertOutcome::kDuplicate);
  }
  return outcomes;
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                   const PostgresOptions& options) {
  if (options.pool_size < 1) return absl::InvalidArgumentError("pool size must be at least 1");
  auto store = std::make_unique<PostgresStore>(conninfo, options);
  TF_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace tokenfab::ledger
