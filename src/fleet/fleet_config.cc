#include "tokenfab/fleet/fleet_config.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "fleet_spec_validation.h"

namespace tokenfab::fleet {
namespace {

constexpr std::array<std::pair<UpstreamKind, std::string_view>, 6> kKindNames = {{
    {UpstreamKind::kTokenfabNode, "tokenfab-node"},
    {UpstreamKind::kTokenfabGateway, "tokenfab-gateway"},
    {UpstreamKind::kVllm, "vllm"},
    {UpstreamKind::kSglang, "sglang"},
    {UpstreamKind::kLlamaCpp, "llama.cpp"},
    {UpstreamKind::kOpenAi, "openai"},
}};

constexpr std::string_view kAnyModel = "*";

// Debian's Abseil has its own string_view; the maps' heterogeneous lookup takes that one.
absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename Map>
std::optional<uint32_t> Find(const Map& map, std::string_view name) {
  auto it = map.find(Key(name));
  if (it == map.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::string_view UpstreamKindName(UpstreamKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<UpstreamKind> ParseUpstreamKind(std::string_view name) {
  for (const auto& [kind, n] : kKindNames) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

std::string UpstreamKindNames() {
  std::string names;
  for (const auto& [kind, name] : kKindNames) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

bool Upstream::ServesModel(std::string_view model) const {
  return std::any_of(models.begin(), models.end(),
                     [&](const std::string& m) { return m == model || m == kAnyModel; });
}

StatusOr<FleetConfig> FleetConfig::Create(FleetSpec spec) {
  internal::ApplyDefaults(spec);
  if (auto error = internal::ValidateFleetSpec(spec)) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", error->field, error->message));
  }
  FleetConfig config(std::move(spec));
  config.BuildIndices();
  return config;
}

// The roofline's model for an upstream: the first model it lists whose parameters the fleet file
// gives, else the reference 8 B dense model.
ReferenceModel FleetConfig::RooflineModel(const Upstream& up) const {
  ReferenceModel model;
  for (const std::string& name : up.models) {
    const ModelSource* source = FindModel(name);
    if (source != nullptr && source->params_b > 0) {
      model.params_billion = source->params_b;
      model.active_params_billion = source->active_params_b;
      if (source->bytes_per_weight > 0) model.bytes_per_weight = source->bytes_per_weight;
      break;
    }
  }
  return model;
}

void FleetConfig::BuildIndices() {
  for (uint32_t i = 0; i < spec_.regions.size(); ++i) region_by_name_[spec_.regions[i].name] = i;
  for (uint32_t i = 0; i < spec_.sites.size(); ++i) {
    Site& site = spec_.sites[i];
    site_by_name_[site.name] = i;
    site.region_index = region_by_name_.at(site.region);
    site.network = NetworkPath{};
  }
  for (const NetworkLink& link : spec_.network) {
    NetworkPath& path = spec_.sites[site_by_name_.at(link.site)].network;
    path = link.path;
    path.configured = true;
  }
  for (uint32_t i = 0; i < spec_.upstreams.size(); ++i) {
    Upstream& up = spec_.upstreams[i];
    upstream_by_name_[up.name] = i;
    up.site_index = site_by_name_.at(up.site);
    up.key = internal::UpstreamKey(up.name);
    const Throughput estimate = EstimateThroughput(up.hardware, RooflineModel(up));
    up.nominal = up.throughput;
    if (up.nominal.prefill_tokens_per_s <= 0) {
      up.nominal.prefill_tokens_per_s = estimate.prefill_tokens_per_s;
    }
    if (up.nominal.decode_tokens_per_s <= 0) {
      up.nominal.decode_tokens_per_s = estimate.decode_tokens_per_s;
    }
    const double full_power = up.hardware.PowerW(1.0);
    up.prefill_wh_per_token = EnergyPerTokenWh(full_power, up.nominal.prefill_tokens_per_s);
    up.decode_wh_per_token = EnergyPerTokenWh(full_power, up.nominal.decode_tokens_per_s);
    for (const std::string& model : up.models) {
      if (model == kAnyModel) {
        wildcard_upstreams_.push_back(i);
      } else {
        upstreams_by_model_[model].push_back(i);
      }
    }
  }
  for (auto& [model, list] : upstreams_by_model_) {
    std::vector<uint32_t> merged;
    std::merge(list.begin(), list.end(), wildcard_upstreams_.begin(), wildcard_upstreams_.end(),
               std::back_inserter(merged));
    // An upstream listing the model and "*" appears once.
    merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
    list = std::move(merged);
  }
}

std::optional<uint32_t> FleetConfig::FindRegion(std::string_view name) const {
  return Find(region_by_name_, name);
}

std::optional<uint32_t> FleetConfig::FindSite(std::string_view name) const {
  return Find(site_by_name_, name);
}

std::optional<uint32_t> FleetConfig::FindUpstream(std::string_view name) const {
  return Find(upstream_by_name_, name);
}

const ModelSource* FleetConfig::FindModel(std::string_view name) const {
  for (const ModelSource& model : spec_.models) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

bool FleetConfig::IsFree(std::string_view model) const {
  for (const std::string& free : spec_.free_models) {
    if (free == model) return true;
  }
  return false;
}

std::span<const uint32_t> FleetConfig::UpstreamsServing(std::string_view model) const {
  auto it = upstreams_by_model_.find(Key(model));
  if (it == upstreams_by_model_.end()) return wildcard_upstreams_;
  return it->second;
}

std::vector<uint32_t> FleetConfig::RegionsForResidency(std::string_view name) const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < spec_.regions.size(); ++i) {
    if (spec_.regions[i].residency == name || spec_.regions[i].name == name) out.push_back(i);
  }
  return out;
}

}  // namespace tokenfab::fleet
