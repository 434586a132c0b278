#include "tokenfab/registry/node_registration.h"

#include <fmt/format.h>

#include "tokenfab/base/logging.h"

namespace tokenfab::registry {

StatusOr<std::unique_ptr<NodeRegistration>> NodeRegistration::Start(const RegistryUrl& url,
                                                                    MemberRecord record,
                                                                    std::chrono::seconds ttl) {
  if (ttl < std::chrono::seconds(2)) {
    return absl::InvalidArgumentError("the registry lease must last at least 2 s");
  }
  // Validate by the same rules gateways read it with.
  if (StatusOr<MemberRecord> check = DecodeMember(EncodeMember(record)); !check.ok()) {
    return check.status();
  }
  std::unique_ptr<NodeRegistration> r(new NodeRegistration(url, std::move(record), ttl));
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

NodeRegistration::NodeRegistration(const RegistryUrl& url, MemberRecord record,
                                   std::chrono::seconds ttl)
    : key_(MemberKey(url.prefix, record.site, record.name)),
      ttl_(ttl),
      pool_(1),
      etcd_(pool_, url.endpoint),
      record_(std::move(record)) {}

NodeRegistration::~NodeRegistration() { Stop(); }

Status NodeRegistration::RegisterLocked() {
  if (lease_ == 0) {
    TF_ASSIGN_OR_RETURN(lease_, etcd_.Grant(ttl_.count()));
    ++leases_granted_;
  }
  Status s = etcd_.Put(key_, EncodeMember(record_), lease_);
  if (!s.ok()) return s;
  TF_LOG_INFO("registry: {} registered (lease {:x}, {} s{})", key_, lease_, ttl_.count(),
              record_.draining ? ", draining" : "");
  return absl::OkStatus();
}

Status NodeRegistration::Beat() {
  absl::MutexLock lock(&mu_);
  Status s = absl::OkStatus();
  if (lease_ != 0) {
    StatusOr<int64_t> left = etcd_.KeepAlive(lease_);
    if (left.ok() && *left <= 0) {
      TF_LOG_WARN("registry: lease {:x} of {} lapsed; registering again", lease_, key_);
      lease_ = 0;
    }
    s = left.status();
  }
  if (s.ok() && lease_ == 0) s = RegisterLocked();
  return s;
}

Status NodeRegistration::Withdraw() {
  absl::MutexLock lock(&mu_);
  record_.draining = true;
  if (lease_ == 0) return RegisterLocked();
  return etcd_.Put(key_, EncodeMember(record_), lease_);
}

void NodeRegistration::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (heartbeats_) heartbeats_->Stop();  // no heartbeat renews the lease after this
  int64_t lease = 0;
  {
    absl::MutexLock lock(&mu_);
    lease = lease_;
    lease_ = 0;
  }
  if (lease == 0) return;
  if (Status s = etcd_.Revoke(lease); !s.ok()) {
    TF_LOG_WARN("registry: revoking the lease of {} failed (it lapses by itself): {}", key_,
                s.message());
  } else {
    TF_LOG_INFO("registry: {} deregistered", key_);
  }
}

int64_t NodeRegistration::leases_granted() const {
  absl::MutexLock lock(&mu_);
  return leases_granted_;
}

}  // namespace tokenfab::registry
