// PolicyRegistry: routing policies by name, and composition from a spec string.
//
// A spec is terms joined by '+', each a registered name with an optional weight after ':':
//   "least-load"   "cost-slo+prefix-affinity:0.5"   "prefix-affinity:2+least-load"
// Every policy built by the registry starts with the standard filters (model served, health,
// data residency); each term adds its scorer and any filters it needs (cost-slo adds the soft
// SLO filter).
//
// Built-in names: round-robin, least-load, power-of-two, prefix-affinity, kv-aware, cost-slo,
// green-first, goodput-cost.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/base/random.h"
#include "tokenfab/base/status.h"
#include "tokenfab/routing/filter.h"
#include "tokenfab/routing/policy.h"
#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

// The policy the gateway and the simulator use unless told otherwise: the winner of
// bench/gateway/policies.sh; see examples/README.md (Routing) for the figures.
inline constexpr std::string_view kDefaultPolicySpec = "prefix-affinity+kv-aware:0.5+least-load:0.3";

// One term of a spec. Plain data.
struct PolicyTerm {
  std::string name;
  double weight = 1;

  bool operator==(const PolicyTerm&) const = default;
};

// Parses a spec into terms. InvalidArgument for an empty term, a bad or non-positive weight, or a
// name given twice. Names are not checked here (see PolicyRegistry::Create).
[[nodiscard]] StatusOr<std::vector<PolicyTerm>> ParsePolicySpec(std::string_view spec);
// Back to text, weights of 1 omitted: "cost-slo+prefix-affinity:0.5".
std::string FormatPolicySpec(std::span<const PolicyTerm> terms);

// What one registered name contributes to a policy.
struct PolicyPlugin {
  std::unique_ptr<Scorer> scorer;
  std::vector<std::unique_ptr<Filter>> filters;  // added after the standard ones, once per name
};

// What a factory may use: the options, and a random stream to fork its own from.
struct PluginContext {
  const PolicyOptions& options;
  base::Random& random;
};

using PluginFactory = std::function<StatusOr<PolicyPlugin>(const PluginContext&)>;

// Register() is not thread-safe; Create() and the getters are, once registration is over.
class PolicyRegistry {
 public:
  PolicyRegistry() = default;

  // The registry with every built-in policy, built on first use. Thread-safe.
  static const PolicyRegistry& Default();

  // AlreadyExists when `name` is taken.
  [[nodiscard]] Status Register(std::string name, std::string description, PluginFactory factory);

  // Builds the policy `spec` describes. InvalidArgument for a bad spec or an unknown name (the
  // message lists the known ones). `random` seeds the policies that draw (power-of-two).
  [[nodiscard]] StatusOr<std::unique_ptr<Policy>> Create(std::string_view spec,
                                                         const PolicyOptions& options,
                                                         base::Random& random) const;
  [[nodiscard]] StatusOr<std::unique_ptr<Policy>> Create(std::span<const PolicyTerm> terms,
                                                         const PolicyOptions& options,
                                                         base::Random& random) const;

  // Registered names, sorted.
  std::vector<std::string> Names() const;
  // "" for an unknown name.
  std::string Description(std::string_view name) const;

 private:
  struct Entry {
    std::string description;
    PluginFactory factory;
  };
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace tokenfab::routing
