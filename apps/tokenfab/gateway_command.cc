// `tokenfab gateway`: the scheduling platform's front door in front of a fleet file's upstreams.
//
//   tokenfab gateway --fleet examples/fleet-three-regions.toml [--listen 127.0.0.1:8080]
//       [--ledger data/ledger.sqlite | --ledger postgresql://...] [--redis redis://host:6379]
//       [--policy prefix-affinity+kv-aware:0.5+least-load:0.3] [--registry etcd://HOST:PORT]
//
// With --registry the nodes registered there join the fleet file's upstreams as they come and go
// (docs/membership.md).
// SIGHUP reloads the fleet file (streams in flight continue; a broken file is logged and the old
// configuration stays) and the TLS certificate and key (--tls-cert/--tls-key: HTTPS; new
// connections use the new ones); SIGINT / SIGTERM stop it after letting requests in flight finish.
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "command.h"
#include "gateway_flags.h"
#include "ledger_flags.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/gateway/registry_fleet.h"
#include "tokenfab/ledger/failover_counters.h"
#include "tokenfab/ledger/redis_counters.h"

namespace tokenfab::cli {
namespace {

struct GatewayCommandFlags {
  std::string fleet;
  std::string registry;
  LedgerFlags ledger;
  GatewayFlags gateway;
};

int Run(const GatewayCommandFlags& flags) {
  StatusOr<gateway::GatewayOptions> options = flags.gateway.ToOptions();
  if (!options.ok()) return Fail("gateway", options.status());
  // With a registry, upstreams join as nodes register: the fleet file may list none.
  const fleet::FleetLoadOptions load{.allow_no_upstreams = !flags.registry.empty()};
  StatusOr<fleet::FleetConfig> config = fleet::LoadFleetConfig(flags.fleet, load);
  if (!config.ok()) return Fail("gateway", config.status());
  std::optional<registry::RegistryUrl> registry_url;
  if (!flags.registry.empty()) {
    StatusOr<registry::RegistryUrl> url = registry::ParseRegistryUrl(flags.registry);
    if (!url.ok()) return Fail("gateway", url.status());
    registry_url = *url;
  }
  const fleet::FleetSpec fixed = config->spec();
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("gateway", store.status());
  StatusOr<std::unique_ptr<ledger::RateCounters>> counters = flags.gateway.OpenCounters();
  if (!counters.ok()) return Fail("gateway", counters.status());

  // Signals are taken by sigwait below: block them before any thread starts.
  sigset_t signals = BlockServiceSignals();
  StatusOr<std::unique_ptr<gateway::Gateway>> gw = gateway::Gateway::Start(
      *options, std::make_shared<const fleet::FleetConfig>(*std::move(config)), **store, **counters,
      base::RealClock::Get());
  if (!gw.ok()) return Fail("gateway", gw.status());
  if (auto* failover = dynamic_cast<ledger::FailoverCounters*>(counters->get())) {
    base::Gauge& redis_up = (*gw)->metrics_registry().GetGauge(
        "tokenfab_gateway_redis_up", "1 while Redis (the shared admission counters) answers");
    failover->SetListener([&redis_up](bool up) { redis_up.Set(up ? 1 : 0); });
  }
  std::printf("tokenfab gateway listening on %s://%s\n", ListenScheme(flags.gateway.tls),
              (*gw)->address().c_str());
  std::fflush(stdout);
  std::unique_ptr<gateway::RegistryFleet> members;
  if (registry_url) {
    StatusOr<std::unique_ptr<gateway::RegistryFleet>> started =
        gateway::RegistryFleet::Start(**gw, fixed, *registry_url);
    if (!started.ok()) return Fail("gateway", started.status());
    members = *std::move(started);
  }
  WaitForStop(signals, [&] {
    ReloadTlsFiles(**gw, flags.gateway.tls);
    if (!members) return ReloadFleetFile(**gw, flags.fleet);
    StatusOr<fleet::FleetConfig> reloaded = fleet::LoadFleetConfig(flags.fleet, load);
    Status s = reloaded.ok() ? members->SetStatic(reloaded->spec()) : reloaded.status();
    if (!s.ok()) TF_LOG_ERROR("reload refused, keeping the running fleet: {}", s.message());
  });
  if (members) members->Stop();
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
  cmd->add_option("--registry", flags->registry,
                  "also route to the nodes registered here: etcd://HOST:PORT[/PREFIX] or "
                  "postgresql://… (their sites must be in the fleet file)");
  AddLedgerFlags(cmd, flags->ledger);
  AddGatewayFlags(cmd, flags->gateway);
  return {cmd, [flags] { return Run(*flags); }};
}

}  // namespace tokenfab::cli
