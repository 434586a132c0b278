#include "tokenfab/gateway/registry_fleet.h"

#include <algorithm>

#include <fmt/format.h>

#include "tokenfab/base/logging.h"

namespace tokenfab::gateway {

StatusOr<std::unique_ptr<RegistryFleet>> RegistryFleet::Start(Gateway& gateway,
                                                              fleet::FleetSpec fixed,
                                                              const registry::RegistryUrl& url) {
  std::unique_ptr<RegistryFleet> f(new RegistryFleet(gateway, std::move(fixed)));
  TF_ASSIGN_OR_RETURN(f->watcher_, registry::StartMemberWatch(
                                       url, [p = f.get()](const registry::MemberView& view,
                                                          bool up) { p->OnView(view, up); }));
  TF_LOG_INFO("registry: watching {} under {}", url.display, url.prefix);
  return f;
}

RegistryFleet::RegistryFleet(Gateway& gateway, fleet::FleetSpec fixed)
    : gateway_(gateway),
      up_(gateway.metrics_registry().GetGauge(
          "tokenfab_gateway_registry_up",
          "1 while the membership registry answers; 0: serving on the last view")),
      members_(gateway.metrics_registry().GetGauge("tokenfab_gateway_registry_members",
                                                   "Node records in the gateway's registry view")),
      joined_gauge_(gateway.metrics_registry().GetGauge(
          "tokenfab_gateway_registry_joined",
          "Registered nodes routed to (the view less draining and skipped records)")),
      fixed_(std::move(fixed)) {}

RegistryFleet::~RegistryFleet() { Stop(); }

void RegistryFleet::Stop() {
  if (watcher_) watcher_->Stop();
}

void RegistryFleet::OnView(const registry::MemberView& view, bool up) {
  up_.Set(up ? 1 : 0);
  if (!up) return;  // keep serving on the last view
  absl::MutexLock lock(&mu_);
  const registry::MemberDiff diff = registry::DiffMembers(view_, view);
  view_ = view;
  members_.Set(static_cast<double>(view_.size()));
  if (!diff.empty()) TF_LOG_INFO("registry: members {}", diff.ToString());
  if (Status s = ApplyLocked(false); !s.ok()) {
    TF_LOG_ERROR("registry: membership change refused, keeping the running fleet: {}", s.message());
  }
}

Status RegistryFleet::SetStatic(fleet::FleetSpec fixed) {
  absl::MutexLock lock(&mu_);
  fixed_ = std::move(fixed);
  return ApplyLocked(true);
}

// A registered node serving a model with no price is left out, as other bad records are: one
// such node must not hold up every other membership change (the gateway would refuse the
// fleet). The fleet file's own upstreams are not filtered: their error is the operator's to fix.
StatusOr<std::optional<fleet::FleetConfig>> RegistryFleet::SkipUnpricedMembers(
    registry::MergedFleet& merged) {
  TF_ASSIGN_OR_RETURN(fleet::FleetConfig config, fleet::FleetConfig::Create(merged.spec));
  TF_ASSIGN_OR_RETURN(auto unpriced, gateway_.UnpricedUpstreams(config));
  if (unpriced.empty()) return std::optional<fleet::FleetConfig>(std::move(config));
  const size_t fixed = fixed_.upstreams.size();
  for (const auto& entry : unpriced) {
    const std::string& name = entry.first;  // a named reference: clang 14 cannot capture a binding
    auto& ups = merged.spec.upstreams;
    const auto it = std::find_if(ups.begin() + static_cast<std::ptrdiff_t>(fixed), ups.end(),
                                 [&](const fleet::Upstream& u) { return u.name == name; });
    if (it == ups.end()) continue;
    ups.erase(it);
    std::erase(merged.joined, name);
    merged.skipped.push_back(fmt::format("{}: {}", name, entry.second));
  }
  return std::optional<fleet::FleetConfig>();
}

Status RegistryFleet::ApplyLocked(bool force) {
  registry::MergedFleet merged = registry::MergeMembers(fixed_, view_);
  TF_ASSIGN_OR_RETURN(std::optional<fleet::FleetConfig> built, SkipUnpricedMembers(merged));
  std::vector<fleet::Upstream> members(
      merged.spec.upstreams.begin() + static_cast<std::ptrdiff_t>(fixed_.upstreams.size()),
      merged.spec.upstreams.end());
  if (merged.skipped != skipped_) {
    for (const std::string& why : merged.skipped) TF_LOG_WARN("registry: skipped {}", why);
    skipped_ = merged.skipped;
  }
  if (!force && members == running_members_) return absl::OkStatus();
  if (!built) {  // some were skipped: the configuration without them
    TF_ASSIGN_OR_RETURN(built, fleet::FleetConfig::Create(std::move(merged.spec)));
  }
  TF_RETURN_IF_ERROR(
      gateway_.Reload(std::make_shared<const fleet::FleetConfig>(*std::move(built))));
  running_members_ = std::move(members);
  joined_ = std::move(merged.joined);
  joined_gauge_.Set(static_cast<double>(joined_.size()));
  return absl::OkStatus();
}

std::vector<std::string> RegistryFleet::joined() const {
  absl::MutexLock lock(&mu_);
  return joined_;
}

}  // namespace tokenfab::gateway
