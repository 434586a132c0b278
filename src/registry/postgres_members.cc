#include "postgres_members.h"

#include <fmt/format.h>

namespace tokenfab::registry::internal {
namespace {

constexpr int64_t kMigrationLockId = 7'292'016;  // pg_advisory_xact_lock key (the ledger: ..001)

constexpr int kSchemaVersion = 1;

constexpr std::string_view kCreateMembers = R"sql(
CREATE TABLE IF NOT EXISTS registry_members (
  key          text PRIMARY KEY,
  record       text NOT NULL,
  incarnation  text NOT NULL,
  ttl_ms       bigint NOT NULL CHECK (ttl_ms > 0),
  heartbeat_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS registry_members_expires_at ON registry_members (expires_at);
)sql";

Status Migrate(ledger::PostgresSession& session) {
  TF_RETURN_IF_ERROR(
      session.Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockId)));
  TF_RETURN_IF_ERROR(
      session.Exec("CREATE TABLE IF NOT EXISTS registry_migrations (version integer PRIMARY KEY, "
                   "applied_at timestamptz NOT NULL DEFAULT now())"));
  bool applied = false;
  TF_RETURN_IF_ERROR(session.Query("SELECT 1 FROM registry_migrations WHERE version = ?1",
                                   {int64_t{kSchemaVersion}},
                                   [&](const ledger::SqlRow&) { applied = true; }));
  if (applied) return absl::OkStatus();
  TF_RETURN_IF_ERROR(session.Exec(kCreateMembers));
  return session
      .Execute("INSERT INTO registry_migrations (version) VALUES (?1)", {int64_t{kSchemaVersion}})
      .status();
}

}  // namespace

Status EnsureMembersSchema(ledger::PostgresSession& session) {
  TF_RETURN_IF_ERROR(session.Exec("BEGIN"));
  Status status = Migrate(session);
  if (!status.ok()) {
    (void)session.Exec("ROLLBACK");
    return status;
  }
  return session.Exec("COMMIT");
}

}  // namespace tokenfab::registry::internal
