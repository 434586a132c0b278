// SqlStore: the Store methods written once, as SQL run on a SqlSession. SqliteStore and
// PostgresStore derive from it and supply the session (one locked connection, or one pooled
// connection), the migrations and the batched usage insert, which differ between the two
// databases. Internal to the ledger layer.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/ledger/sql_session.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger::internal {

class SqlStore : public Store, public BatchStore {
 public:
  BatchStore* batches() override { return this; }

  StatusOr<int> SchemaVersion() override;

  Status PutTier(const Tier& tier) override;
  StatusOr<Tier> GetTier(std::string_view name) override;
  StatusOr<std::vector<Tier>> ListTiers() override;

  Status CreateTenant(const Tenant& tenant) override;
  Status UpdateTenant(const Tenant& tenant) override;
  StatusOr<Tenant> GetTenant(std::string_view name) override;
  StatusOr<std::vector<Tenant>> ListTenants() override;

  Status InsertApiKey(const ApiKeyRecord& key) override;
  StatusOr<ApiKeyRecord> GetApiKey(std::string_view key_id) override;
  StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(std::string_view tenant) override;
  Status RevokeApiKey(std::string_view key_id, int64_t wall_micros) override;

  Status AddPrice(const PriceEntry& entry) override;
  StatusOr<std::vector<PriceEntry>> ListPrices() override;

  StatusOr<UsageEvent> GetUsage(std::string_view request_id) override;
  StatusOr<std::vector<UsageRow>> QueryUsage(const UsageQuery& query) override;
  Status ScanUsage(int64_t from_micros, int64_t to_micros,
                   const std::function<void(const UsageEvent&)>& visit) override;
  StatusOr<int64_t> TenantTokens(std::string_view tenant, int64_t from_micros,
                                 int64_t to_micros) override;

  // BatchStore (sql_batch_store.cc).
  Status InsertFile(const FileRecord& file) override;
  StatusOr<FileRecord> GetFile(std::string_view tenant, std::string_view id) override;
  StatusOr<std::vector<FileRecord>> ListFiles(std::string_view tenant,
                                              std::string_view purpose) override;
  Status DeleteFile(std::string_view tenant, std::string_view id) override;
  Status InsertBatch(const BatchRecord& batch) override;
  Status UpdateBatch(const BatchRecord& batch) override;
  StatusOr<BatchRecord> GetBatch(std::string_view tenant, std::string_view id) override;
  StatusOr<std::vector<BatchRecord>> ListBatches(std::string_view tenant, std::string_view after,
                                                 int64_t limit) override;
  StatusOr<std::vector<BatchRecord>> ListUnfinishedBatches() override;
  Status InsertLines(const std::vector<BatchLine>& lines) override;
  StatusOr<std::vector<BatchLine>> PendingLines(std::string_view batch_id, int64_t after,
                                                int64_t limit) override;
  Status FinishLine(const BatchLine& line) override;
  StatusOr<std::vector<BatchLine>> ListLines(std::string_view batch_id) override;
  StatusOr<LineCounts> CountLines(std::string_view batch_id) override;

 protected:
  // Runs `body` in one transaction on `session` (BEGIN ... COMMIT, ROLLBACK on an error).
  [[nodiscard]] static Status InTransaction(SqlSession& session,
                                            const std::function<Status()>& body);

  // A session for one store call; the connection is the caller's until the session is destroyed.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<SqlSession>> OpenSession() = 0;
};

}  // namespace tokenfab::ledger::internal
