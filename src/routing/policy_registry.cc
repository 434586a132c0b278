#include "tokenfab/routing/policy_registry.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/container/flat_hash_set.h"
#include "routing/builtin_policies.h"
#include "routing/filters/health_filter.h"
#include "routing/filters/model_filter.h"
#include "routing/filters/residency_filter.h"

namespace tokenfab::routing {
namespace {

absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

const PolicyRegistry& PolicyRegistry::Default() {
  static const PolicyRegistry* const registry = [] {
    auto* r = new PolicyRegistry();
    RegisterBuiltinPolicies(*r);
    return r;
  }();
  return *registry;
}

Status PolicyRegistry::Register(std::string name, std::string description, PluginFactory factory) {
  if (entries_.contains(name)) {
    return absl::AlreadyExistsError(
        fmt::format("routing policy \"{}\" is already registered", name));
  }
  entries_.emplace(std::move(name), Entry{std::move(description), std::move(factory)});
  return absl::OkStatus();
}

StatusOr<std::unique_ptr<Policy>> PolicyRegistry::Create(std::string_view spec,
                                                         const PolicyOptions& options,
                                                         base::Random& random) const {
  TF_ASSIGN_OR_RETURN(std::vector<PolicyTerm> terms, ParsePolicySpec(spec));
  return Create(terms, options, random);
}

StatusOr<std::unique_ptr<Policy>> PolicyRegistry::Create(std::span<const PolicyTerm> terms,
                                                         const PolicyOptions& options,
                                                         base::Random& random) const {
  if (terms.empty()) return absl::InvalidArgumentError("a routing policy needs at least one term");
  if (options.max_ranked < 1) {
    return absl::InvalidArgumentError("routing: max_ranked must be at least 1");
  }
  std::vector<std::unique_ptr<Filter>> filters;
  filters.push_back(std::make_unique<ModelFilter>());
  filters.push_back(std::make_unique<HealthFilter>());
  filters.push_back(std::make_unique<ResidencyFilter>());
  absl::flat_hash_set<std::string> filter_names = {"model", "health", "residency"};
  std::vector<WeightedScorer> scorers;
  for (const PolicyTerm& term : terms) {
    if (!(term.weight > 0)) {
      return absl::InvalidArgumentError(
          fmt::format("routing policy {}: the weight must be > 0, got {}", term.name, term.weight));
    }
    auto it = entries_.find(Key(term.name));
    if (it == entries_.end()) {
      std::string known;
      for (const std::string& name : Names()) known += (known.empty() ? "" : ", ") + name;
      return absl::InvalidArgumentError(
          fmt::format("unknown routing policy \"{}\" (known: {})", term.name, known));
    }
    PluginContext context{options, random};
    TF_ASSIGN_OR_RETURN(PolicyPlugin plugin, it->second.factory(context));
    for (std::unique_ptr<Filter>& filter : plugin.filters) {
      if (filter_names.insert(std::string(filter->name())).second) {
        filters.push_back(std::move(filter));
      }
    }
    scorers.push_back({std::move(plugin.scorer), term.weight});
  }
  return std::make_unique<Policy>(FormatPolicySpec(terms), std::move(filters), std::move(scorers),
                                  options.max_ranked);
}

std::vector<std::string> PolicyRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string PolicyRegistry::Description(std::string_view name) const {
  auto it = entries_.find(Key(name));
  return it == entries_.end() ? "" : it->second.description;
}

}  // namespace tokenfab::routing
