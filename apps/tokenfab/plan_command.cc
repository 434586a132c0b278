// `tokenfab plan`: the least-cost fleet (node counts per site and hardware, within the workload
// spec's [plan] bounds) that meets an SLO attainment for a demand, searched with the twin.
//
//   tokenfab plan --fleet FILE --workload SPEC.toml --slo-attainment 0.99 [--policy SPEC]
//       [--duration S] [--rate-scale X] [--seed N] [--json]
//
// Every candidate fleet serves the same planned requests with the same seed (sim/fleet_plan.h).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/sim/fleet_plan.h"
#include "tokenfab/sim/sim_workload.h"
#include "twin_process.h"

namespace tokenfab::cli {
namespace {

struct PlanFlags {
  std::string fleet;
  std::string workload;
  std::string policy;
  double slo_attainment = 0.99;
  double rate_scale = 1.0;
  double duration_s = 0;
  uint64_t seed = 1;
  bool json = false;
};

int Fail(const Status& status) {
  std::fprintf(stderr, "tokenfab plan: %s\n", std::string(status.message()).c_str());
  return kExitFailure;
}

int Run(const PlanFlags& flags) {
  TurnOffMutexDeadlockDetection();
  if (!(flags.slo_attainment > 0) || flags.slo_attainment > 1) {
    return Fail(absl::InvalidArgumentError("--slo-attainment must be in (0, 1]"));
  }
  StatusOr<fleet::FleetConfig> config = fleet::LoadFleetConfig(flags.fleet);
  if (!config.ok()) return Fail(config.status());
  StatusOr<sim::SimWorkloadSpec> spec = sim::LoadWorkloadSpec(flags.workload);
  if (!spec.ok()) return Fail(spec.status());
  base::Random random(flags.seed);
  StatusOr<std::vector<sim::SimRequest>> requests =
      sim::PlanSyntheticWorkload(*spec, {flags.rate_scale, flags.duration_s}, random);
  if (!requests.ok()) return Fail(requests.status());
  sim::FleetPlanOptions options;
  options.slo_attainment = flags.slo_attainment;
  options.sim.policy = flags.policy;
  options.sim.seed = flags.seed;
  StatusOr<sim::FleetPlan> plan = sim::PlanFleet(*config, *spec, *requests, options);
  if (!plan.ok()) return Fail(plan.status());
  const std::string out = sim::FormatPlan(*plan, flags.slo_attainment, flags.json);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return plan->feasible ? kExitOk : kExitFailure;
}

}  // namespace

Command AddPlanCommand(CLI::App& app) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "Find the least-cost fleet that meets an SLO attainment (digital twin search)");
  cmd->add_option("--fleet", flags->fleet, "Fleet file (TOML): the groups and their counts")
      ->required();
  cmd->add_option("--workload", flags->workload, "Workload spec (TOML), with optional [plan]")
      ->required();
  cmd->add_option("--slo-attainment", flags->slo_attainment, "Target share of requests in SLO");
  cmd->add_option("--policy", flags->policy, "Routing policy spec");
  cmd->add_option("--rate-scale", flags->rate_scale, "Multiply the arrival rate");
  cmd->add_option("--duration", flags->duration_s, "Seconds of arrivals to simulate");
  cmd->add_option("--seed", flags->seed, "Seed of the run's one random stream");
  cmd->add_flag("--json", flags->json, "Print JSON");
  return {cmd, [flags] { return Run(*flags); }};
}

}  // namespace tokenfab::cli
