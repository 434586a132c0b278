#include "tokenfab/registry/postgres_registration.h"

#include "postgres_members.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::registry {

StatusOr<std::unique_ptr<PostgresRegistration>> PostgresRegistration::Start(
    const RegistryUrl& url, MemberRecord record, std::chrono::seconds ttl) {
  if (ttl < std::chrono::seconds(2)) {
    return absl::InvalidArgumentError("the registry lease must last at least 2 s");
  }
  if (record.incarnation.empty())
    return absl::InvalidArgumentError("the record has no incarnation");
  if (StatusOr<MemberRecord> check = DecodeMember(EncodeMember(record)); !check.ok()) {
    return check.status();
  }
  std::unique_ptr<PostgresRegistration> r(new PostgresRegistration(url, std::move(record), ttl));
  Status first;
  {
    absl::MutexLock lock(&r->mu_);
    first = r->RegisterLocked();
  }
  r->heartbeats_ = std::make_unique<HeartbeatLoop>(
      r->key_, std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 3,
      [p = r.get()] { return p->Beat(); }, first);
  return r;
}

PostgresRegistration::PostgresRegistration(const RegistryUrl& url, MemberRecord record,
                                           std::chrono::seconds ttl)
    : key_(MemberKey(url.prefix, record.site, record.name)),
      ttl_(ttl),
      pool_(url.conninfo, 1, "registry"),
      record_(std::move(record)) {}

PostgresRegistration::~PostgresRegistration() { Stop(); }

Status PostgresRegistration::RegisterLocked() {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<ledger::PostgresSession> session, pool_.Acquire());
  if (!schema_ready_) {
    TF_RETURN_IF_ERROR(internal::EnsureMembersSchema(*session));
    schema_ready_ = true;
  }
  const int64_t ttl_ms = std::chrono::milliseconds(ttl_).count();
  TF_RETURN_IF_ERROR(session
                         ->Execute(internal::kUpsertMember,
                                   {key_, EncodeMember(record_), record_.incarnation, ttl_ms})
                         .status());
  if (!registered_) ++leases_granted_;
  registered_ = true;
  TF_LOG_INFO("registry: {} registered (incarnation {}, {} s{})", key_, record_.incarnation,
              ttl_.count(), record_.draining ? ", draining" : "");
  return absl::OkStatus();
}

Status PostgresRegistration::Beat() {
  absl::MutexLock lock(&mu_);
  Status s = absl::OkStatus();
  if (registered_) {
    const std::string incarnation = record_.incarnation;
    StatusOr<int64_t> rows = [&]() -> StatusOr<int64_t> {  // the connection back before below
      TF_ASSIGN_OR_RETURN(std::unique_ptr<ledger::PostgresSession> session, pool_.Acquire());
      return session->Execute(internal::kHeartbeat, {key_, incarnation});
    }();
    if (rows.ok() && *rows == 0) {
      TF_LOG_WARN("registry: the row of {} expired or went; registering again", key_);
      registered_ = false;
    }
    s = rows.status();
  }
  if (s.ok() && !registered_) s = RegisterLocked();
  return s;
}

Status PostgresRegistration::Withdraw() {
  absl::MutexLock lock(&mu_);
  record_.draining = true;
  return RegisterLocked();
}

void PostgresRegistration::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (heartbeats_) heartbeats_->Stop();  // no heartbeat upserts the row after this
  bool registered = false;
  std::string incarnation;
  {
    absl::MutexLock lock(&mu_);
    registered = registered_;
    registered_ = false;
    incarnation = record_.incarnation;
  }
  if (!registered) return;
  StatusOr<std::unique_ptr<ledger::PostgresSession>> session = pool_.Acquire();
  Status s = session.ok()
                 ? (*session)->Execute(internal::kDeleteMember, {key_, incarnation}).status()
                 : session.status();
  if (!s.ok()) {
    TF_LOG_WARN("registry: deleting the row of {} failed (it expires by itself): {}", key_,
                s.message());
  } else {
    TF_LOG_INFO("registry: {} deregistered", key_);
  }
}

int64_t PostgresRegistration::leases_granted() const {
  absl::MutexLock lock(&mu_);
  return leases_granted_;
}

}  // namespace tokenfab::registry
