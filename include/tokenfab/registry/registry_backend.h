// The two sides of the membership registry behind one interface, whatever store holds it:
// etcd (leases and watches: node_registration.h, membership_watcher.h) or PostgreSQL (a table of
// members with heartbeats and LISTEN/NOTIFY: postgres_registration.h, postgres_watcher.h). The
// --registry URL's scheme chooses (registry_url.h); nodes and gateways are the same either way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/registry/member_record.h"
#include "tokenfab/registry/membership.h"
#include "tokenfab/registry/registry_url.h"

namespace tokenfab::registry {

// A node's entry in the registry for as long as it serves; its liveness (an etcd lease, a
// PostgreSQL heartbeat) is kept by a HeartbeatLoop (heartbeat_loop.h), the same for every store.
// Thread-safe.
class Registration {
 public:
  virtual ~Registration() = default;
  // Republishes the record as draining: gateways route nothing new to it, the entry stays.
  // Returns once the registry has it, or the error.
  virtual Status Withdraw() = 0;
  // Stops keeping the entry alive and deletes it at once. Idempotent.
  virtual void Stop() = 0;
  virtual const std::string& key() const = 0;
  // Times the node registered from scratch (1 after the first success; more after the registry
  // lost its entry and it registered again).
  virtual int64_t leases_granted() const = 0;
};

// A gateway's live view of the registered nodes. The listener hears every new view (`up` true),
// and `up` false with the last view while the registry is unreachable. It runs on the watch's
// thread, one call at a time; it may block but must not call Stop(). Thread-safe.
using MemberListener = std::function<void(const MemberView& view, bool up)>;

class MemberWatch {
 public:
  virtual ~MemberWatch() = default;
  virtual void Stop() = 0;  // idempotent; the listener is not called after it returns
};

// Registers `record` under MemberKey(url.prefix, site, name), kept alive for `ttl` past the
// last heartbeat (every ttl/3). A record with no incarnation gets a fresh random one: gateways
// see a node that registers again after a restart as changed, and start its live state afresh.
// Tries once before returning (an unreachable registry is logged and retried). InvalidArgument
// when the record is incomplete or ttl < 2 s.
[[nodiscard]] StatusOr<std::unique_ptr<Registration>> StartRegistration(const RegistryUrl& url,
                                                                        MemberRecord record,
                                                                        std::chrono::seconds ttl);

// Starts watching; the first list happens on the watch's thread. While the registry is away
// it lists again every `retry`.
[[nodiscard]] StatusOr<std::unique_ptr<MemberWatch>> StartMemberWatch(
    const RegistryUrl& url, MemberListener listener,
    std::chrono::milliseconds retry = std::chrono::milliseconds(500));

// A random 64-bit hex string, for MemberRecord::incarnation.
std::string NewIncarnation();

}  // namespace tokenfab::registry
