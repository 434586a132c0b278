// `tokenfab gateway`: the scheduling platform's front door in front of a fleet file's upstreams.
//
//   tokenfab gateway --fleet examples/fleet-three-regions.toml [--listen 127.0.0.1:8080]
//       [--ledger data/ledger.sqlite | --ledger postgresql://...] [--redis redis://host:6379]
//       [--policy prefix-affinity+kv-aware:0.5+least-load:0.3]
//
// SIGHUP reloads the fleet file (streams in flight continue; a broken file is logged and the old
// configuration stays) and the TLS certificate and key (--tls-cert/--tls-key: HTTPS; new
// connections use the new ones); SIGINT / SIGTERM stop it after letting requests in flight finish.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "command.h"
#include "gateway_flags.h"
#include "ledger_flags.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/ledger/redis_counters.h"

namespace tokenfab::cli {
namespace {

struct GatewayCommandFlags {
  std::string fleet;
  LedgerFlags ledger;
  GatewayFlags gateway;
};

int Run(const GatewayCommandFlags& flags) {
  StatusOr<gateway::GatewayOptions> options = flags.gateway.ToOptions();
  if (!options.ok()) return Fail("gateway", options.status());
  StatusOr<fleet::FleetConfig> config = fleet::LoadFleetConfig(flags.fleet);
  if (!config.ok()) return Fail("gateway", config.status());
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("gateway", store.status());
  StatusOr<std::unique_ptr<ledger::RateCounters>> counters = flags.gateway.OpenCounters();
  if (!counters.ok()) return Fail("gateway", counters.status());

  // Signals are taken by sigwait below: block them before any thread starts.
  sigset_t signals = BlockServiceSignals();
  StatusOr<std::unique_ptr<gateway::Gateway>> gw = gateway::Gateway::Start(
      *options, std::make_shared<const fleet::FleetConfig>(*std::move(config)), **store,
      **counters, base::RealClock::Get());
  if (!gw.ok()) return Fail("gateway", gw.status());
  std::printf("tokenfab gateway listening on %s://%s\n", ListenScheme(flags.gateway.tls),
              (*gw)->address().c_str());
  std::fflush(stdout);
  WaitForStop(signals, [&] {
    ReloadFleetFile(**gw, flags.fleet);
    ReloadTlsFiles(**gw, flags.gateway.tls);
  });
  TF_LOG_INFO("stopping: letting requests in flight finish");
  (*gw)->Stop(flags.gateway.drain);
  const gateway::GatewayStats stats = (*gw)->stats();
  TF_LOG_INFO("served {} requests ({} completed, {} rejected, {} failed, {} cancelled)",
              stats.requests, stats.completed, stats.rejected, stats.failed, stats.cancelled);
  return kExitOk;
}

}  // namespace

Command AddGatewayCommand(CLI::App& app) {
  auto flags = std::make_shared<GatewayCommandFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gateway", "route, admit and meter OpenAI-compatible requests over a fleet of upstreams");
  cmd->add_option("--fleet", flags->fleet, "the fleet file (TOML; see examples/README.md)")
      ->required()
      ->check(CLI::ExistingFile);
  AddLedgerFlags(cmd, flags->ledger);
  AddGatewayFlags(cmd, flags->gateway);
  return {cmd, [flags] { return Run(*flags); }};
}

}  // namespace tokenfab::cli
