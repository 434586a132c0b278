// Store: where the ledger keeps tiers, tenants, API keys, price books and usage events.
//
// Two implementations share this interface and the same conformance tests: SQLite (the embedded
// default: one file, WAL journal, synchronous=FULL) and PostgreSQL (several gateways sharing one
// ledger; a small pool of connections with prepared statements). The schema is versioned and
// migrated forward when a store is opened.
//
// Thread-safety: every method may be called from any thread. A store serialises access to its
// connection(s) itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/api_key.h"
#include "tokenfab/ledger/batch_store.h"
#include "tokenfab/ledger/price_book.h"
#include "tokenfab/ledger/tenant.h"
#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger {

// What happened to one event of a batch.
enum class InsertOutcome {
  kInserted,   // a new row
  kDuplicate,  // the request id was already recorded; nothing changed
  kSpooled,    // the store was away: durable in the local usage spool, replayed to it later
};

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgresql".
  virtual std::string_view kind() const = 0;
  // The schema version after migration (the number of migrations applied).
  [[nodiscard]] virtual StatusOr<int> SchemaVersion() = 0;

  // Tiers. PutTier creates or replaces.
  [[nodiscard]] virtual Status PutTier(const Tier& tier) = 0;
  [[nodiscard]] virtual StatusOr<Tier> GetTier(std::string_view name) = 0;  // NotFound
  [[nodiscard]] virtual StatusOr<std::vector<Tier>> ListTiers() = 0;        // by name

  // Tenants. CreateTenant: AlreadyExists when the name is taken, NotFound when the tier is
  // unknown. UpdateTenant replaces tier, regions and limits (NotFound when absent).
  [[nodiscard]] virtual Status CreateTenant(const Tenant& tenant) = 0;
  [[nodiscard]] virtual Status UpdateTenant(const Tenant& tenant) = 0;
  [[nodiscard]] virtual StatusOr<Tenant> GetTenant(std::string_view name) = 0;
  [[nodiscard]] virtual StatusOr<std::vector<Tenant>> ListTenants() = 0;  // by name

  // API keys. InsertApiKey: NotFound for an unknown tenant, AlreadyExists for a taken key id.
  [[nodiscard]] virtual Status InsertApiKey(const ApiKeyRecord& key) = 0;
  [[nodiscard]] virtual StatusOr<ApiKeyRecord> GetApiKey(std::string_view key_id) = 0;
  // Every key, or the tenant's only when `tenant` is non-empty; by creation time.
  [[nodiscard]] virtual StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(
      std::string_view tenant) = 0;
  // Marks the key revoked at `wall_micros`. NotFound when absent; revoking twice keeps the first
  // time and succeeds.
  [[nodiscard]] virtual Status RevokeApiKey(std::string_view key_id, int64_t wall_micros) = 0;

  // Price books. AddPrice: AlreadyExists for the same (model, region, effective_from).
  [[nodiscard]] virtual Status AddPrice(const PriceEntry& entry) = 0;
  [[nodiscard]] virtual StatusOr<std::vector<PriceEntry>> ListPrices() = 0;

  // Writes a batch of usage events in ONE transaction: either every event is durable (or was
  // already recorded) when this returns OK, or none of this call's rows are. Outcomes are in the
  // order of `events`. An event whose request id appears earlier in the batch is a duplicate.
  // REQUIRES: every event passes ValidateUsageEvent.
  [[nodiscard]] virtual StatusOr<std::vector<InsertOutcome>> InsertUsage(
      std::span<const UsageEvent> events) = 0;
  [[nodiscard]] virtual StatusOr<UsageEvent> GetUsage(std::string_view request_id) = 0;
  [[nodiscard]] virtual StatusOr<std::vector<UsageRow>> QueryUsage(const UsageQuery& query) = 0;
  // Calls `visit` with every usage event finished in [from, to), by start time then request id:
  // the raw records, for a consumer that needs more than QueryUsage's sums (the twin's
  // calibration). The default: Unimplemented (stores without a SQL database).
  [[nodiscard]] virtual Status ScanUsage(int64_t from_micros, int64_t to_micros,
                                         const std::function<void(const UsageEvent&)>& visit);
  // prompt + completion tokens of the tenant's events finished in [from, to).
  [[nodiscard]] virtual StatusOr<int64_t> TenantTokens(std::string_view tenant, int64_t from_micros,
                                                       int64_t to_micros) = 0;

  // Files and batches in the same database (batch_store.h); null for a store without them.
  virtual BatchStore* batches() { return nullptr; }
};

// True for "postgresql://..." and "postgres://..." locations, and libpq "key=value" strings
// starting with "host=" or "dbname=".
bool IsPostgresLocation(std::string_view location);

// Opens (creating and migrating when needed) the store at `location`: a PostgreSQL connection
// URI, or else the path of a SQLite file (its directory must exist).
[[nodiscard]] StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view location);

[[nodiscard]] StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
struct PostgresOptions {
  int pool_size = 4;  // connections opened on demand, at most this many at once
};
[[nodiscard]] StatusOr<std::unique_ptr<Store>> OpenPostgresStore(
    const std::string& conninfo, const PostgresOptions& options = {});

}  // namespace tokenfab::ledger
