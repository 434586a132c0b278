#include "schema.h"

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tokenfab::ledger::internal {
namespace {

constexpr std::string_view kV1Tables = R"sql(
CREATE TABLE tiers (
  name TEXT PRIMARY KEY,
  ttft_slo_ms BIGINT NOT NULL,
  tpot_slo_ms BIGINT NOT NULL,
  priority INTEGER NOT NULL,
  rpm BIGINT, tpm BIGINT, max_concurrency BIGINT, token_budget BIGINT, budget_period TEXT
);
CREATE TABLE tenants (
  name TEXT PRIMARY KEY,
  tier TEXT NOT NULL REFERENCES tiers(name),
  allowed_regions TEXT NOT NULL,
  rpm BIGINT, tpm BIGINT, max_concurrency BIGINT, token_budget BIGINT, budget_period TEXT,
  created_us BIGINT NOT NULL
);
CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(name),
  salt_hex TEXT NOT NULL,
  hash_hex TEXT NOT NULL,
  created_us BIGINT NOT NULL,
  revoked_us BIGINT
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant, created_us);
CREATE TABLE price_books (
  model TEXT NOT NULL,
  region TEXT NOT NULL,
  effective_from_us BIGINT NOT NULL,
  input_per_million BIGINT NOT NULL,
  cached_input_per_million BIGINT NOT NULL,
  output_per_million BIGINT NOT NULL,
  currency TEXT NOT NULL,
  PRIMARY KEY (model, region, effective_from_us)
);
CREATE TABLE usage_events (
  request_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  region TEXT NOT NULL,
  site TEXT NOT NULL,
  upstream TEXT NOT NULL,
  prompt_tokens BIGINT NOT NULL,
  cached_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  ttft_us BIGINT NOT NULL,
  tpot_us BIGINT NOT NULL,
  status TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  energy_wh DOUBLE PRECISION NOT NULL,
  carbon_g DOUBLE PRECISION NOT NULL,
  cost_micros BIGINT NOT NULL,
  currency TEXT NOT NULL,
  started_us BIGINT NOT NULL,
  finished_us BIGINT NOT NULL,
  recorded_us BIGINT NOT NULL
);
CREATE INDEX usage_events_by_tenant ON usage_events (tenant, finished_us);
CREATE INDEX usage_events_by_time ON usage_events (finished_us);
)sql";

// The tiers a new ledger starts with; operators change them with `tokenfab tenants tier-set`.
constexpr std::string_view kV2DefaultTiers = R"sql(
INSERT INTO tiers (name, ttft_slo_ms, tpot_slo_ms, priority, rpm, tpm, max_concurrency,
                   token_budget, budget_period)
VALUES ('free', 2000, 100, 0, 20, 40000, 2, 1000000, 'month'),
       ('standard', 1000, 50, 1, 600, 1000000, 32, NULL, NULL),
       ('premium', 500, 30, 2, 6000, 10000000, 256, NULL, NULL)
ON CONFLICT (name) DO NOTHING;
)sql";

// Service tiers: the tier each request was served and billed at, and the tiers' prices as
// percentages of the default tier's. Existing rows read as the default tier and OpenAI's ratios.
constexpr std::string_view kV3ServiceTiers = R"sql(
ALTER TABLE usage_events ADD COLUMN service_tier TEXT NOT NULL DEFAULT 'default';
ALTER TABLE usage_events ADD COLUMN billed_tier TEXT NOT NULL DEFAULT 'default';
ALTER TABLE price_books ADD COLUMN flex_percent BIGINT NOT NULL DEFAULT 50;
ALTER TABLE price_books ADD COLUMN batch_percent BIGINT NOT NULL DEFAULT 50;
ALTER TABLE price_books ADD COLUMN priority_percent BIGINT NOT NULL DEFAULT 200;
)sql";

// The Files and Batches APIs: file metadata (bytes on disk), batches and their lines.
constexpr std::string_view kV4Batches = R"sql(
CREATE TABLE files (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  filename TEXT NOT NULL,
  purpose TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX files_by_tenant ON files (tenant, created_at);
CREATE TABLE batches (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  key_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  input_file_id TEXT NOT NULL,
  completion_window TEXT NOT NULL,
  status TEXT NOT NULL,
  output_file_id TEXT NOT NULL,
  error_file_id TEXT NOT NULL,
  errors_json TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  in_progress_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  finalizing_at BIGINT NOT NULL,
  completed_at BIGINT NOT NULL,
  failed_at BIGINT NOT NULL,
  expired_at BIGINT NOT NULL,
  cancelling_at BIGINT NOT NULL,
  cancelled_at BIGINT NOT NULL,
  seq BIGINT NOT NULL
);
CREATE INDEX batches_by_tenant ON batches (tenant, seq);
CREATE INDEX batches_by_status ON batches (status, seq);
CREATE TABLE batch_lines (
  batch_id TEXT NOT NULL,
  line BIGINT NOT NULL,
  custom_id TEXT NOT NULL,
  body TEXT NOT NULL,
  state INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  response TEXT NOT NULL,
  PRIMARY KEY (batch_id, line)
);
CREATE INDEX batch_lines_by_state ON batch_lines (batch_id, state, line);
)sql";

// The energy cost of each request, priced when it is recorded (NULL on older events: reports
// price their energy from the fleet file instead).
constexpr std::string_view kV5EnergyCost = R"sql(
ALTER TABLE usage_events ADD COLUMN energy_cost DOUBLE PRECISION;
)sql";

// A tier's cap on max_tokens (output tokens per choice); NULL: no cap.
constexpr std::string_view kV6TierMaxTokens = R"sql(
ALTER TABLE tiers ADD COLUMN max_tokens BIGINT;
)sql";

constexpr Migration kMigrations[] = {
    {1, kV1Tables},
    {2, kV2DefaultTiers},
    {3, kV3ServiceTiers},
    {4, kV4Batches},
    {5, kV5EnergyCost},
    {6, kV6TierMaxTokens},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

UsageSql BuildUsageQuery(const UsageQuery& query) {
  UsageSql out;
  auto placeholder = [&](SqlValue value) {
    out.params.push_back(std::move(value));
    return fmt::format("?{}", out.params.size());
  };
  std::vector<std::string> keys;
  for (UsageDimension d : query.group_by) {
    switch (d) {
      case UsageDimension::kDay:
        keys.push_back("(finished_us / 86400000000)");
        break;
      case UsageDimension::kHour:
        keys.push_back("(finished_us / 3600000000)");
        break;
      case UsageDimension::kTier:
        keys.push_back(
            "COALESCE((SELECT tier FROM tenants WHERE tenants.name = usage_events.tenant), '')");
        break;
      default:
        keys.push_back(std::string(UsageDimensionName(d)));
    }
  }
  keys.push_back("currency");
  std::vector<std::string> where;
  if (query.from_micros) where.push_back("finished_us >= " + placeholder(*query.from_micros));
  if (query.to_micros) where.push_back("finished_us < " + placeholder(*query.to_micros));
  if (query.tenant) where.push_back("tenant = " + placeholder(*query.tenant));
  const std::string key_list = absl::StrJoin(keys, ", ");
  out.sql = fmt::format(
      "SELECT {}, COUNT(*), CAST(SUM(prompt_tokens) AS BIGINT), CAST(SUM(cached_tokens) AS "
      "BIGINT), CAST(SUM(completion_tokens) AS BIGINT), CAST(SUM(cost_micros) AS BIGINT), "
      "SUM(energy_wh), SUM(carbon_g), COALESCE(SUM(energy_cost), 0), "
      "COALESCE(SUM(CASE WHEN energy_cost IS NULL THEN energy_wh ELSE 0 END), 0) "
      "FROM usage_events{}{} GROUP BY {} ORDER BY {}",
      key_list, where.empty() ? "" : " WHERE ", absl::StrJoin(where, " AND "), key_list, key_list);
  return out;
}

std::string JoinRegions(const std::vector<std::string>& regions) {
  return absl::StrJoin(regions, ",");
}

std::vector<std::string> SplitRegions(std::string_view stored) {
  if (stored.empty()) return {};
  return absl::StrSplit(absl::string_view(stored.data(), stored.size()), ',');
}

}  // namespace tokenfab::ledger::internal
