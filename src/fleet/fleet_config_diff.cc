#include "tokenfab/fleet/fleet_config_diff.h"

#include <fmt/format.h>

namespace tokenfab::fleet {
namespace {

// Equality of what the file says; indices into other lists may shift without a change.
bool SameUpstream(Upstream a, Upstream b) {
  a.site_index = b.site_index = 0;
  return a == b;
}

bool SameSite(Site a, Site b) {
  a.region_index = b.region_index = 0;
  return a == b;
}

// Compares two lists of named items. Names only in `before` go to `removed`, only in `after`
// to `added`, in both but unequal to `changed`.
template <typename T, typename Find, typename Equal>
void DiffNamed(std::span<const T> before, std::span<const T> after, Find find_in_before,
               Find find_in_after, Equal equal, std::vector<std::string>& added,
               std::vector<std::string>& removed, std::vector<std::string>& changed) {
  for (const T& item : after) {
    auto old = find_in_before(item.name);
    if (!old) {
      added.push_back(item.name);
    } else if (!equal(before[*old], item)) {
      changed.push_back(item.name);
    }
  }
  for (const T& item : before) {
    if (!find_in_after(item.name)) removed.push_back(item.name);
  }
}

void AppendList(std::string& out, std::string_view sign, const std::vector<std::string>& names) {
  for (const std::string& name : names)
    fmt::format_to(std::back_inserter(out), " {}{}", sign, name);
}

}  // namespace

bool FleetConfigDiff::empty() const {
  return added_upstreams.empty() && removed_upstreams.empty() && changed_upstreams.empty() &&
         changed_sites.empty() && changed_regions.empty() && changed_models.empty() &&
         !currency_changed && !gateway_changed;
}

std::string FleetConfigDiff::ToString() const {
  if (empty()) return "no change";
  std::string out;
  if (!added_upstreams.empty() || !removed_upstreams.empty() || !changed_upstreams.empty()) {
    out += "upstreams";
    AppendList(out, "+", added_upstreams);
    AppendList(out, "-", removed_upstreams);
    AppendList(out, "~", changed_upstreams);
  }
  auto section = [&out](std::string_view name, const std::vector<std::string>& names) {
    if (names.empty()) return;
    if (!out.empty()) out += "; ";
    out += name;
    AppendList(out, "~", names);
  };
  section("sites", changed_sites);
  section("regions", changed_regions);
  section("models", changed_models);
  if (currency_changed) out += out.empty() ? "currency" : "; currency";
  if (gateway_changed) out += out.empty() ? "gateway" : "; gateway";
  return out;
}

FleetConfigDiff DiffFleetConfigs(const FleetConfig& before, const FleetConfig& after) {
  FleetConfigDiff diff;
  auto finder = [](const FleetConfig& config, auto method) {
    return [&config, method](std::string_view name) { return (config.*method)(name); };
  };
  DiffNamed(before.upstreams(), after.upstreams(), finder(before, &FleetConfig::FindUpstream),
            finder(after, &FleetConfig::FindUpstream), SameUpstream, diff.added_upstreams,
            diff.removed_upstreams, diff.changed_upstreams);
  DiffNamed(before.sites(), after.sites(), finder(before, &FleetConfig::FindSite),
            finder(after, &FleetConfig::FindSite), SameSite, diff.changed_sites, diff.changed_sites,
            diff.changed_sites);
  DiffNamed(before.regions(), after.regions(), finder(before, &FleetConfig::FindRegion),
            finder(after, &FleetConfig::FindRegion), std::equal_to<Region>(), diff.changed_regions,
            diff.changed_regions, diff.changed_regions);
  auto find_model = [](const FleetConfig& config) {
    return [&config](std::string_view name) -> std::optional<uint32_t> {
      const ModelSource* model = config.FindModel(name);
      if (model == nullptr) return std::nullopt;
      return static_cast<uint32_t>(model - config.models().data());
    };
  };
  DiffNamed(before.models(), after.models(), find_model(before), find_model(after),
            std::equal_to<ModelSource>(), diff.changed_models, diff.changed_models,
            diff.changed_models);
  diff.currency_changed = before.currency() != after.currency();
  diff.gateway_changed = before.gateway() != after.gateway();
  return diff;
}

}  // namespace tokenfab::fleet
