// PostgresRegistration: a node's row in the PostgreSQL registry for as long as it serves (the
// PostgreSQL Registration of registry_backend.h; start it with StartRegistration).
//
// Start() creates the schema if absent and upserts the node's row (record, incarnation, TTL,
// heartbeat now; NOTIFY). A HeartbeatLoop extends the row's expiry every ttl/3; when the row
// is gone (swept after the node was cut off past its TTL, or the database was restored) it
// upserts it again. A node that dies stops heartbeating: its row expires after the TTL, gateways
// leave it out of their view, and a sweep deletes it.
//
// Withdraw() republishes the record as draining; Stop() stops the heartbeats and deletes the row
// (NOTIFY). The database being unreachable never stops the node: failures are logged and
// retried. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/status.h"
#include "tokenfab/ledger/postgres_pool.h"
#include "tokenfab/registry/heartbeat_loop.h"
#include "tokenfab/registry/member_record.h"
#include "tokenfab/registry/registry_backend.h"
#include "tokenfab/registry/registry_url.h"

namespace tokenfab::registry {

class PostgresRegistration final : public Registration {
 public:
  // REQUIRES: record.incarnation set (StartRegistration does). InvalidArgument when the record is
  // incomplete or ttl < 2 s.
  [[nodiscard]] static StatusOr<std::unique_ptr<PostgresRegistration>> Start(
      const RegistryUrl& url, MemberRecord record, std::chrono::seconds ttl);
  ~PostgresRegistration() override;  // Stop()

  Status Withdraw() override ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() override ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& key() const override { return key_; }
  int64_t leases_granted() const override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  PostgresRegistration(const RegistryUrl& url, MemberRecord record, std::chrono::seconds ttl);
  // Creates the schema (once) and upserts the row.
  Status RegisterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One heartbeat (HeartbeatLoop's): extend the row's expiry, or register again.
  Status Beat() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string key_;
  const std::chrono::seconds ttl_;
  ledger::PostgresPool pool_;  // one connection

  mutable absl::Mutex mu_;
  MemberRecord record_ ABSL_GUARDED_BY(mu_);
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  bool schema_ready_ ABSL_GUARDED_BY(mu_) = false;
  int64_t leases_granted_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<HeartbeatLoop> heartbeats_;  // set by Start
};

}  // namespace tokenfab::registry
