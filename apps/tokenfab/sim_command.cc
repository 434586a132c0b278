// `tokenfab sim`: the fleet digital twin. Replays a trace or a synthetic workload against a fleet
// file on simulated time, with the gateway's routing policies and admission and the engine's
// scheduler, and reports latency, SLO attainment, utilisation and energy per policy.
//
//   tokenfab sim --fleet FILE (--trace FILE --trace-format azure|mooncake | --workload SPEC.toml)
//       [--policy SPEC]... [--rate-scale X] [--duration S] [--seed N] [--exact-steps] [--json]
//       [--compare NEW.toml] [--html OUT] [--series-interval S] [--calibrate-from LEDGER]
//
// With both --trace and --workload, the spec supplies tiers, node and model settings and the
// trace the arrivals. Several --policy flags run the same workload and seed once per policy and
// print them side by side. --compare runs the same workload and seed on a second fleet file
// and prints the differences. --calibrate-from fits each upstream's step-time model to the
// requests a ledger (SQLite path or postgresql:// URL) recorded and simulates with it in place of
// the roofline; what was fitted goes to stderr.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "command.h"
#include "tokenfab/bench/trace.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/sim/ledger_calibration.h"
#include "tokenfab/sim/sim_html.h"
#include "tokenfab/sim/sim_report.h"
#include "tokenfab/sim/sim_workload.h"
#include "tokenfab/sim/simulation.h"
#include "twin_process.h"

namespace tokenfab::cli {
namespace {

struct SimFlags {
  std::string fleet;
  std::string trace;
  std::string trace_format = "azure";
  std::string workload;
  std::string compare;
  std::string html;
  std::string calibrate_from;
  std::vector<std::string> policies;
  double rate_scale = 1.0;
  double duration_s = 0;
  double series_interval_s = 0;
  uint64_t seed = 1;
  bool exact_steps = false;
  bool json = false;
};

int Fail(const Status& status) {
  std::fprintf(stderr, "tokenfab sim: %s\n", std::string(status.message()).c_str());
  return kExitFailure;
}

StatusOr<std::vector<sim::SimRequest>> Plan(const SimFlags& flags,
                                            const sim::SimWorkloadSpec& spec) {
  base::Random random(flags.seed);
  sim::PlanOptions options{flags.rate_scale, flags.duration_s};
  if (flags.trace.empty()) return sim::PlanSyntheticWorkload(spec, options, random);
  TF_ASSIGN_OR_RETURN(bench::TraceFormat format, bench::ParseTraceFormat(flags.trace_format));
  TF_ASSIGN_OR_RETURN(std::vector<bench::TraceRequest> trace,
                      bench::ReadTrace(flags.trace, format));
  return sim::PlanTraceWorkload(trace, spec, options, random);
}

void ShowProgress(int64_t sim_us, double wall_s) {
  std::fprintf(stderr, "\rsimulated %.1f s in %.1f s wall (%.1f sim s / wall s)   ",
               static_cast<double>(sim_us) / 1e6, wall_s,
               wall_s > 0 ? static_cast<double>(sim_us) / 1e6 / wall_s : 0.0);
}

StatusOr<std::shared_ptr<const fleet::FleetConfig>> LoadFleet(const std::string& path) {
  TF_ASSIGN_OR_RETURN(fleet::FleetConfig config, fleet::LoadFleetConfig(path));
  return std::make_shared<const fleet::FleetConfig>(std::move(config));
}

// One report per policy, each run on the same plan and seed.
StatusOr<std::vector<sim::PolicyReport>> RunPolicies(
    const SimFlags& flags, const std::shared_ptr<const fleet::FleetConfig>& config,
    const sim::SimWorkloadSpec& spec, const std::vector<sim::SimRequest>& plan,
    std::vector<sim::SimResult>* results) {
  std::vector<std::string> policies = flags.policies;
  if (policies.empty()) policies.emplace_back();
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::vector<sim::PolicyReport> reports;
  for (const std::string& policy : policies) {
    sim::SimOptions options;
    options.policy = policy;
    options.seed = flags.seed;
    options.exact_steps = flags.exact_steps;
    options.series_interval_s = flags.series_interval_s;
    TF_ASSIGN_OR_RETURN(std::unique_ptr<sim::Simulation> simulation,
                        sim::Simulation::Create(config, spec, plan, options));
    sim::SimResult result = simulation->Run(tty ? sim::ProgressFn(ShowProgress) : nullptr);
    if (tty) std::fprintf(stderr, "\n");
    reports.push_back(sim::Summarize(result, *config, spec));
    if (results != nullptr) results->push_back(std::move(result));
  }
  return reports;
}

int Run(const SimFlags& flags) {
  TurnOffMutexDeadlockDetection();
  if (flags.trace.empty() && flags.workload.empty()) {
    return Fail(absl::InvalidArgumentError("give --trace FILE or --workload SPEC.toml"));
  }
  StatusOr<std::shared_ptr<const fleet::FleetConfig>> config = LoadFleet(flags.fleet);
  if (!config.ok()) return Fail(config.status());
  sim::SimWorkloadSpec spec;
  if (!flags.workload.empty()) {
    StatusOr<sim::SimWorkloadSpec> loaded = sim::LoadWorkloadSpec(flags.workload);
    if (!loaded.ok()) return Fail(loaded.status());
    spec = *std::move(loaded);
  } else {
    spec.tiers.push_back(sim::DefaultTier());
    if (!(*config)->models().empty()) spec.model = (*config)->models()[0].name;
  }
  if (!flags.calibrate_from.empty()) {
    const sim::CalibrationOptions options{.model = spec.model};
    StatusOr<sim::LedgerCalibration> calibration =
        sim::CalibrateFromLedger(flags.calibrate_from, **config, options);
    if (!calibration.ok()) return Fail(calibration.status());
    std::fputs(sim::FormatCalibration(*calibration, **config, spec, options).c_str(), stderr);
    sim::ApplyCalibration(*calibration, &spec);
  }
  StatusOr<std::vector<sim::SimRequest>> plan = Plan(flags, spec);
  if (!plan.ok()) return Fail(plan.status());
  std::vector<sim::SimResult> results;
  auto reports = RunPolicies(flags, *config, spec, *plan, flags.html.empty() ? nullptr : &results);
  if (!reports.ok()) return Fail(reports.status());
  std::string out;
  if (!flags.compare.empty()) {
    StatusOr<std::shared_ptr<const fleet::FleetConfig>> other = LoadFleet(flags.compare);
    if (!other.ok()) return Fail(other.status());
    auto compared = RunPolicies(flags, *other, spec, *plan, nullptr);
    if (!compared.ok()) return Fail(compared.status());
    out = sim::FormatComparison(*reports, *compared, flags.json);
  } else {
    out = flags.json ? sim::FormatJson(*reports) : sim::FormatTable(*reports);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!flags.html.empty()) {
    const std::string html = sim::FormatHtml(*reports, results, spec);
    std::FILE* file = std::fopen(flags.html.c_str(), "wb");
    if (file == nullptr || std::fwrite(html.data(), 1, html.size(), file) != html.size() ||
        std::fclose(file) != 0) {
      return Fail(absl::UnavailableError("cannot write " + flags.html));
    }
  }
  return kExitOk;
}

}  // namespace

Command AddSimCommand(CLI::App& app) {
  auto flags = std::make_shared<SimFlags>();
  CLI::App* cmd = app.add_subcommand("sim", "Simulate a fleet serving a workload (digital twin)");
  cmd->add_option("--fleet", flags->fleet, "Fleet file (TOML)")->required();
  cmd->add_option("--trace", flags->trace, "Request trace to replay");
  cmd->add_option("--trace-format", flags->trace_format, "azure or mooncake");
  cmd->add_option("--workload", flags->workload, "Workload spec (TOML)");
  cmd->add_option("--policy", flags->policies, "Routing policy spec; repeat to compare");
  cmd->add_option("--rate-scale", flags->rate_scale, "Multiply the arrival rate");
  cmd->add_option("--duration", flags->duration_s, "Seconds of arrivals to simulate");
  cmd->add_option("--seed", flags->seed, "Seed of the run's one random stream");
  cmd->add_flag("--exact-steps", flags->exact_steps, "One event per engine step");
  cmd->add_flag("--json", flags->json, "Print JSON");
  cmd->add_option("--html", flags->html, "Also write a self-contained HTML report with plots");
  cmd->add_option("--series-interval", flags->series_interval_s,
                  "Seconds per point of the per-site time series (default: window / 60)");
  cmd->add_option("--calibrate-from", flags->calibrate_from,
                  "Fit each upstream's step-time model to a ledger (SQLite path or "
                  "postgresql:// URL) in place of its roofline");
  cmd->add_option("--compare", flags->compare,
                  "Second fleet file: run both on the same workload and seed, print differences");
  return {cmd, [flags] { return Run(*flags); }};
}

}  // namespace tokenfab::cli
