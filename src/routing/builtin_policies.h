// The built-in routing policies, each in its own folder under policies/, registered by name.
#pragma once

#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::routing {

// Registers round-robin, least-load, power-of-two, prefix-affinity, kv-aware, cost-slo,
// green-first and goodput-cost. REQUIRES: none of those names is taken in `registry`.
void RegisterBuiltinPolicies(PolicyRegistry& registry);

}  // namespace tokenfab::routing
