#include "fleet_spec_validation.h"

#include <cmath>

#include <fmt/format.h>
#include <xxhash.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace tokenfab::fleet::internal {
namespace {

using Result = std::optional<FieldError>;

FieldError Error(std::string field, std::string message) {
  return FieldError{std::move(field), std::move(message)};
}

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// A number that must be finite and lie in [lo, hi].
Result CheckRange(const std::string& field, double value, double lo, double hi) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    if (hi == HUGE_VAL) return Error(field, fmt::format("must be >= {}, got {}", lo, value));
    return Error(field, fmt::format("must be in [{}, {}], got {}", lo, hi, value));
  }
  return std::nullopt;
}

Result CheckPositive(const std::string& field, double value) {
  if (!std::isfinite(value) || value <= 0) {
    return Error(field, fmt::format("must be > 0, got {}", value));
  }
  return std::nullopt;
}

// Names must be non-empty and unique within their list; fills `index` name -> position.
template <typename T>
Result CheckNames(std::string_view list, const std::vector<T>& items,
                  absl::flat_hash_map<std::string, uint32_t>& index) {
  for (uint32_t i = 0; i < items.size(); ++i) {
    const std::string field = fmt::format("{}[{}].name", list, i);
    if (items[i].name.empty()) return Error(field, "must not be empty");
    auto [it, inserted] = index.emplace(items[i].name, i);
    if (!inserted) {
      return Error(field, fmt::format("duplicate name \"{}\" (also {}[{}])", items[i].name, list,
                                      it->second));
    }
  }
  return std::nullopt;
}

Result ValidateEnergy(const std::string& at, const SiteEnergy& energy) {
  if (!IsCurrencyCode(energy.currency)) {
    return Error(
        at + ".currency",
        fmt::format("\"{}\" is not a currency code (three capitals, e.g. CNY)", energy.currency));
  }
  if (auto e = CheckPositive(at + ".exchange_rate", energy.exchange_rate)) return e;
  for (int hour = 0; hour < kHoursPerDay; ++hour) {
    const double price = energy.prices.AtHour(hour);
    if (!std::isfinite(price) || price < 0) {
      return Error(at + ".prices",
                   fmt::format("the price at hour {} must be >= 0, got {}", hour, price));
    }
  }
  if (auto e = CheckRange(at + ".pue", energy.pue, 1.0, HUGE_VAL)) return e;
  if (auto e = CheckRange(at + ".green_share", energy.green_share, 0.0, 1.0)) return e;
  return CheckRange(at + ".carbon_g_per_kwh", energy.carbon_g_per_kwh, 0.0, HUGE_VAL);
}

Result ValidateSites(const FleetSpec& spec,
                     const absl::flat_hash_map<std::string, uint32_t>& regions) {
  constexpr int32_t kMaxOffset = 14 * 60;
  for (size_t i = 0; i < spec.sites.size(); ++i) {
    const Site& site = spec.sites[i];
    const std::string at = fmt::format("sites[{}]", i);
    if (!regions.contains(site.region)) {
      return Error(at + ".region", fmt::format("unknown region \"{}\"", site.region));
    }
    if (site.utc_offset_minutes < -kMaxOffset || site.utc_offset_minutes > kMaxOffset) {
      return Error(at + ".utc_offset",
                   fmt::format("{} minutes is outside -14:00..+14:00", site.utc_offset_minutes));
    }
    if (auto e = ValidateEnergy(at + ".energy", site.energy)) return e;
  }
  return std::nullopt;
}

Result ValidateHardware(const std::string& at, const Hardware& hw) {
  if (hw.count < 1) return Error(at + ".count", fmt::format("must be >= 1, got {}", hw.count));
  if (auto e = CheckPositive(at + ".peak_tflops", hw.peak_tflops)) return e;
  if (auto e = CheckPositive(at + ".mem_bandwidth_gbps", hw.mem_bandwidth_gbps)) return e;
  if (auto e = CheckRange(at + ".power_idle_w", hw.power_idle_w, 0.0, HUGE_VAL)) return e;
  if (auto e = CheckPositive(at + ".power_max_w", hw.power_max_w)) return e;
  if (hw.power_max_w < hw.power_idle_w) {
    return Error(at + ".power_max_w", fmt::format("must be >= power_idle_w ({}), got {}",
                                                  hw.power_idle_w, hw.power_max_w));
  }
  return std::nullopt;
}

Result ValidateModels(const std::string& at, const std::vector<std::string>& models) {
  if (models.empty()) return Error(at, "must list at least one model");
  absl::flat_hash_set<std::string> seen;
  for (const std::string& model : models) {
    if (model.empty()) return Error(at, "a model name must not be empty");
    if (!seen.insert(model).second) return Error(at, fmt::format("\"{}\" is listed twice", model));
  }
  return std::nullopt;
}

Result ValidateUpstream(const std::string& at, const Upstream& up,
                        const absl::flat_hash_map<std::string, uint32_t>& sites) {
  if (up.url.host.empty() || up.url.port == 0) return Error(at + ".url", "has no host and port");
  if (auto e = ValidateModels(at + ".models", up.models)) return e;
  if (!sites.contains(up.site)) {
    return Error(at + ".site", fmt::format("unknown site \"{}\"", up.site));
  }
  if (auto e = CheckPositive(at + ".weight", up.weight)) return e;
  if (auto e = ValidateHardware(at + ".hardware", up.hardware)) return e;
  if (auto e = CheckRange(at + ".throughput.prefill_tokens_per_s",
                          up.throughput.prefill_tokens_per_s, 0.0, HUGE_VAL)) {
    return e;
  }
  return CheckRange(at + ".throughput.decode_tokens_per_s", up.throughput.decode_tokens_per_s, 0.0,
                    HUGE_VAL);
}

Result ValidateUpstreams(const FleetSpec& spec,
                         const absl::flat_hash_map<std::string, uint32_t>& sites) {
  absl::flat_hash_map<std::string, size_t> urls;
  absl::flat_hash_map<uint64_t, size_t> keys;
  for (size_t i = 0; i < spec.upstreams.size(); ++i) {
    const Upstream& up = spec.upstreams[i];
    const std::string at = fmt::format("upstreams[{}]", i);
    if (auto e = ValidateUpstream(at, up, sites)) return e;
    auto [url, fresh_url] = urls.emplace(up.url.ToString(), i);
    if (!fresh_url) {
      return Error(at + ".url", fmt::format("same URL as upstreams[{}]", url->second));
    }
    auto [key, fresh_key] = keys.emplace(UpstreamKey(up.name), i);
    if (!fresh_key) {
      return Error(at + ".name",
                   fmt::format("hashes to the same id as upstreams[{}]; rename one", key->second));
    }
  }
  return std::nullopt;
}

Result ValidateNetwork(const FleetSpec& spec,
                       const absl::flat_hash_map<std::string, uint32_t>& sites) {
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < spec.network.size(); ++i) {
    const NetworkLink& link = spec.network[i];
    const std::string at = fmt::format("network[{}]", i);
    if (!sites.contains(link.site)) {
      return Error(at + ".site", fmt::format("unknown site \"{}\"", link.site));
    }
    auto [it, fresh] = seen.emplace(link.site, i);
    if (!fresh) {
      return Error(at + ".site", fmt::format("site \"{}\" already has a path (network[{}])",
                                             link.site, it->second));
    }
    if (auto e = CheckRange(at + ".rtt_ms", link.path.rtt_ms, 0.0, HUGE_VAL)) return e;
    if (auto e = CheckRange(at + ".jitter_ms", link.path.jitter_ms, 0.0, HUGE_VAL)) return e;
    if (auto e = CheckRange(at + ".loss", link.path.loss, 0.0, 1.0)) return e;
  }
  return std::nullopt;
}

Result ValidateModelSources(const FleetSpec& spec) {
  absl::flat_hash_map<std::string, uint32_t> names;
  if (auto e = CheckNames("models", spec.models, names)) return e;
  for (size_t i = 0; i < spec.models.size(); ++i) {
    const ModelSource& model = spec.models[i];
    if (model.vocab.empty() == model.gguf.empty()) {
      return Error(fmt::format("models[{}]", i),
                   fmt::format("model \"{}\" needs exactly one of vocab (a vocabulary name) and "
                               "gguf (a model file)",
                               model.name));
    }
    const std::string at = fmt::format("models[{}]", i);
    if (auto e = CheckRange(at + ".params_b", model.params_b, 0.0, 1e5)) return e;
    if (auto e = CheckRange(at + ".active_params_b", model.active_params_b, 0.0,
                            model.params_b > 0 ? model.params_b : 1e5)) {
      return e;
    }
    if (auto e = CheckRange(at + ".bytes_per_weight", model.bytes_per_weight, 0.0, 8.0)) return e;
  }
  return std::nullopt;
}

}  // namespace

void ApplyDefaults(FleetSpec& spec) {
  for (Region& region : spec.regions) {
    if (region.residency.empty()) region.residency = region.name;
  }
  for (Site& site : spec.sites) {
    if (site.energy.currency.empty()) site.energy.currency = spec.currency;
  }
}

std::optional<FieldError> ValidateFleetSpec(const FleetSpec& spec) {
  if (!IsCurrencyCode(spec.currency)) {
    return Error("currency", fmt::format("\"{}\" is not a currency code (three capitals, e.g. CNY)",
                                         spec.currency));
  }
  if (spec.regions.empty()) return Error("regions", "the fleet has no regions");
  if (spec.sites.empty()) return Error("sites", "the fleet has no sites");
  if (spec.upstreams.empty() && !spec.allow_no_upstreams) {
    return Error("upstreams", "the fleet has no upstreams (nor a --registry they could join from)");
  }
  absl::flat_hash_map<std::string, uint32_t> regions;
  absl::flat_hash_map<std::string, uint32_t> sites;
  absl::flat_hash_map<std::string, uint32_t> upstreams;
  if (auto e = CheckNames("regions", spec.regions, regions)) return e;
  if (auto e = CheckNames("sites", spec.sites, sites)) return e;
  if (auto e = CheckNames("upstreams", spec.upstreams, upstreams)) return e;
  if (auto e = ValidateSites(spec, regions)) return e;
  if (auto e = ValidateUpstreams(spec, sites)) return e;
  if (auto e = ValidateModelSources(spec)) return e;
  return ValidateNetwork(spec, sites);
}

uint64_t UpstreamKey(std::string_view name) { return XXH3_64bits(name.data(), name.size()); }

}  // namespace tokenfab::fleet::internal
