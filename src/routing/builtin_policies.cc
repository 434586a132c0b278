#include "builtin_policies.h"

#include "routing/policies/cost_slo/cost_slo.h"
#include "routing/policies/goodput_cost/goodput_cost.h"
#include "routing/policies/green_first/green_first.h"
#include "routing/policies/kv_aware/kv_aware.h"
#include "routing/policies/least_load/least_load.h"
#include "routing/policies/power_of_two/power_of_two.h"
#include "routing/policies/prefix_affinity/prefix_affinity.h"
#include "routing/policies/round_robin/round_robin.h"
#include "tokenfab/base/check.h"

namespace tokenfab::routing {

void RegisterBuiltinPolicies(PolicyRegistry& registry) {
  // Registration is explicit rather than by static initializers, which a static library drops.
  for (Status status :
       {RegisterRoundRobin(registry), RegisterLeastLoad(registry), RegisterPowerOfTwo(registry),
        RegisterPrefixAffinity(registry), RegisterKvAware(registry), RegisterCostSlo(registry),
        RegisterGreenFirst(registry), RegisterGoodputCost(registry)}) {
    TF_CHECK(status.ok()) << status.message();
  }
}

}  // namespace tokenfab::routing
