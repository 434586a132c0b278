// NodeRegistration: a node's entry in etcd for as long as it serves (the etcd Registration of
// registry_backend.h; start it with StartRegistration).
//
// Start() grants a lease of `ttl` and puts the node's record under MemberKey(prefix, site, name)
// attached to it; a HeartbeatLoop keeps the lease alive every ttl/3. When the lease is lost
// (the registry restarted, or the node was cut off past the TTL) it registers again with a new
// lease. If the node dies, the lease lapses and the key goes with it: gateways drop the node
// within the TTL.
//
// Shutdown, in order: Withdraw() republishes the record with draining = true (gateways stop
// routing new requests to it but the lease stays alive), the node lets its streams finish, then
// Stop() stops the heartbeats and revokes the lease (the key is deleted at once).
//
// The registry being unreachable never stops the node: failures are logged and retried.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/status.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/registry/etcd_client.h"
#include "tokenfab/registry/heartbeat_loop.h"
#include "tokenfab/registry/member_record.h"
#include "tokenfab/registry/registry_backend.h"
#include "tokenfab/registry/registry_url.h"

namespace tokenfab::registry {

class NodeRegistration final : public Registration {
 public:
  // Tries to register once before returning (an unreachable registry is logged, and retried by
  // the heartbeat thread). InvalidArgument when the record is incomplete or ttl < 2 s.
  [[nodiscard]] static StatusOr<std::unique_ptr<NodeRegistration>> Start(const RegistryUrl& url,
                                                                         MemberRecord record,
                                                                         std::chrono::seconds ttl);
  ~NodeRegistration() override;  // Stop()

  // Marks the record draining (see above). Returns once the registry has it, or the error.
  Status Withdraw() override ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the heartbeats and revokes the lease. Idempotent.
  void Stop() override ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& key() const override { return key_; }
  // Leases granted so far (1 after a first successful registration; more after re-registering).
  int64_t leases_granted() const override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  NodeRegistration(const RegistryUrl& url, MemberRecord record, std::chrono::seconds ttl);
  // Grants a lease when there is none and puts the record on it.
  Status RegisterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One heartbeat (HeartbeatLoop's): keep the lease alive, or register again.
  Status Beat() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string key_;
  const std::chrono::seconds ttl_;
  net::IoContextPool pool_;
  EtcdClient etcd_;

  mutable absl::Mutex mu_;
  MemberRecord record_ ABSL_GUARDED_BY(mu_);
  int64_t lease_ ABSL_GUARDED_BY(mu_) = 0;  // 0: not registered
  int64_t leases_granted_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<HeartbeatLoop> heartbeats_;  // set by Start
};

}  // namespace tokenfab::registry
