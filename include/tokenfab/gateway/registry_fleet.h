// RegistryFleet: a gateway's fleet made of the fleet file's static upstreams plus the nodes
// registered in the membership registry (registry/registry_backend.h: etcd or PostgreSQL).
//
// Each view the watcher hands over is merged with the static spec (registry::MergeMembers) and,
// when the merged fleet differs from the running one, installed with Gateway::Reload, the same
// path as a SIGHUP reload: streams in flight continue, unchanged upstreams keep their live state.
// A SIGHUP reload goes through SetStatic(), which merges the new file with the current view.
// When the registry is unreachable the running fleet stays (the last view).
//
// /metrics gains tokenfab_gateway_registry_up (1 while the registry answers),
// tokenfab_gateway_registry_members (records in the view) and
// tokenfab_gateway_registry_joined (members routed to: the view less those skipped).
//
// Thread-safe. Borrows the gateway, which must outlive this object.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/registry/membership.h"
#include "tokenfab/registry/registry_backend.h"
#include "tokenfab/registry/registry_url.h"

namespace tokenfab::gateway {

class RegistryFleet {
 public:
  // Starts watching `url`. `fixed` is the fleet file's spec, as loaded.
  [[nodiscard]] static StatusOr<std::unique_ptr<RegistryFleet>> Start(
      Gateway& gateway, fleet::FleetSpec fixed, const registry::RegistryUrl& url);
  ~RegistryFleet();  // Stop()

  // A new fleet file (SIGHUP): merged with the current view and reloaded.
  Status SetStatic(fleet::FleetSpec fixed) ABSL_LOCKS_EXCLUDED(mu_);
  void Stop();

  // Member names in the running fleet (sorted).
  std::vector<std::string> joined() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  RegistryFleet(Gateway& gateway, fleet::FleetSpec fixed);
  void OnView(const registry::MemberView& view, bool up) ABSL_LOCKS_EXCLUDED(mu_);
  // Merges and reloads when the members' upstreams differ from those running, or `force`.
  Status ApplyLocked(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the members serving an unpriced model from merged's upstreams to its skipped list.
  // Returns the configuration it built to find them when none was moved (merged's spec as it
  // stands), nullopt when it moved some.
  StatusOr<std::optional<fleet::FleetConfig>> SkipUnpricedMembers(registry::MergedFleet& merged)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Gateway& gateway_;
  base::Gauge& up_;
  base::Gauge& members_;
  base::Gauge& joined_gauge_;
  std::unique_ptr<registry::MemberWatch> watcher_;

  mutable absl::Mutex mu_;
  fleet::FleetSpec fixed_ ABSL_GUARDED_BY(mu_);
  registry::MemberView view_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> joined_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> skipped_ ABSL_GUARDED_BY(mu_);  // logged when it changes
  // The members' upstreams of the fleet installed last.
  std::vector<fleet::Upstream> running_members_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokenfab::gateway
