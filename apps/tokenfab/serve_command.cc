// `tokenfab serve`: the embedded default: a gateway plus in-process nodes, one command to a
// working OpenAI-compatible endpoint.
//
//   tokenfab serve                         one local node on a demo model (made on the first
//                                          run in <data-dir>/models), the SQLite ledger in
//                                          <data-dir>, and a first API key printed once
//   tokenfab serve --model my.gguf         the same on your model
//   tokenfab serve --fleet fleet.toml      a gateway over the fleet file; its tokenfab-node
//                                          upstreams on this machine run in-process
//
// SIGHUP reloads the fleet file (the gateway's side; in-process nodes keep running) and the TLS
// certificate of --tls-cert/--tls-key;
// SIGINT / SIGTERM stop after letting requests in flight finish.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "command.h"
#include "embedded_default.h"
#include "gateway_flags.h"
#include "ledger_flags.h"
#include "serve_nodes.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/fleet/model_parameters.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/model/model_spec.h"
#include "tokenfab/net/http_url.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDemoModel = "tokenfab-demo";

struct ServeFlags {
  std::string fleet;
  std::string model;  // a GGUF file instead of the demo model
  LedgerFlags ledger;
  GatewayFlags gateway;
  LocalNodeOptions nodes;
};

// The demo model: a small Llama-architecture model with random weights and the Llama 3
// vocabulary, so that the endpoint answers at once on any machine (the text is random).
StatusOr<std::string> EnsureDemoModel(const std::string& data_dir) {
  const fs::path path = fs::path(data_dir) / "models" / (std::string(kDemoModel) + ".gguf");
  if (fs::exists(path)) return path.string();
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message()));
  model::ModelSpec spec;
  spec.name = std::string(kDemoModel);
  spec.arch = model::Architecture::kLlama;
  spec.shape = {.dim = 128, .layers = 4, .heads = 4, .kv_heads = 2, .ffn = 384, .context = 4096};
  spec.weights = model::WeightScheme::kQ8_0;
  TF_RETURN_IF_ERROR(spec.Validate());
  TF_ASSIGN_OR_RETURN(std::string vocab_path, tokenizer::FindVocabFile("llama3"));
  TF_ASSIGN_OR_RETURN(tokenizer::Vocab vocab, tokenizer::LoadVocabJson(vocab_path));
  std::fprintf(stderr, "creating the demo model %s (random weights, Llama 3 vocabulary)\n",
               path.c_str());
  base::ThreadPool pool(base::ThreadPool::HardwareThreads());
  TF_RETURN_IF_ERROR(model::CreateModelFile(spec, vocab, pool, path.string()));
  return path.string();
}

// One region, one site, one CPU node on this machine: the fleet of the embedded default
// (embedded_default.h has its energy figures and demo prices).
StatusOr<fleet::FleetConfig> LocalFleet(const std::string& model_name, const std::string& gguf,
                                        uint16_t node_port) {
  fleet::FleetSpec spec;
  spec.source = "tokenfab serve";
  spec.currency = kEmbeddedCurrency;
  spec.gateway = "local";
  spec.regions.push_back({.name = "local", .residency = "", .description = "this machine"});
  spec.sites.push_back(EmbeddedSite());
  fleet::Upstream up;
  up.name = "local-node";
  TF_ASSIGN_OR_RETURN(up.url, net::ParseBaseUrl(fmt::format("http://127.0.0.1:{}", node_port)));
  up.kind = fleet::UpstreamKind::kTokenfabNode;
  up.models = {model_name};
  up.site = "local";
  up.hardware = EmbeddedNodeHardware();
  spec.upstreams.push_back(up);
  fleet::ModelSource model{.name = model_name, .vocab = "", .gguf = gguf};
  TF_RETURN_IF_ERROR(fleet::FillModelParametersFromGguf(model).status());
  spec.models.push_back(std::move(model));
  return fleet::FleetConfig::Create(std::move(spec));
}

// On a ledger without any key (the first run): a tenant "default" and its first key, printed
// once.
Status EnsureFirstKey(ledger::Store& store) {
  TF_ASSIGN_OR_RETURN(std::vector<ledger::ApiKeyRecord> keys, store.ListApiKeys(""));
  if (!keys.empty()) return absl::OkStatus();
  base::Clock& clock = base::RealClock::Get();
  if (!store.GetTenant("default").ok()) {
    ledger::Tenant tenant;
    tenant.name = "default";
    tenant.tier = "standard";
    tenant.created_micros = clock.WallMicros();
    TF_RETURN_IF_ERROR(store.CreateTenant(tenant));
  }
  ledger::Authenticator auth(store, clock);
  TF_ASSIGN_OR_RETURN(ledger::NewApiKey key, auth.CreateKey("default"));
  std::printf("your API key (shown once; more with `tokenfab keys create`): %s\n",
              key.plaintext.c_str());
  return absl::OkStatus();
}

int Run(ServeFlags& flags) {
  StatusOr<gateway::GatewayOptions> options = flags.gateway.ToOptions();
  if (!options.ok()) return Fail("serve", options.status());
  // The Files and Batches APIs keep their files in the data folder unless told otherwise.
  if (options->files_dir.empty()) {
    options->files_dir = (fs::path(flags.ledger.data_dir) / "files").string();
  }
  // And the usage spool: usage events wait there while the ledger cannot take them.
  if (options->usage_spool_dir.empty()) {
    options->usage_spool_dir = (fs::path(flags.ledger.data_dir) / "spool").string();
  }
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("serve", store.status());
  if (Status s = EnsureFirstKey(**store); !s.ok()) return Fail("serve", s);
  StatusOr<std::unique_ptr<ledger::RateCounters>> counters = flags.gateway.OpenCounters();
  if (!counters.ok()) return Fail("serve", counters.status());

  // The all-in-one demo prices every model until the price book has entries of its own (a
  // gateway serves no model without a price).
  if (Status s = EnsureDemoPrices(**store); !s.ok()) return Fail("serve", s);
  sigset_t signals = BlockServiceSignals();
  flags.nodes.operator_token = options->operator_token;
  flags.nodes.prefix_key = options->prefix_key;
  std::vector<std::unique_ptr<node::NodeServer>> nodes;
  std::shared_ptr<const fleet::FleetConfig> fleet;
  if (!flags.fleet.empty()) {
    StatusOr<fleet::FleetConfig> config = fleet::LoadFleetConfig(flags.fleet);
    if (!config.ok()) return Fail("serve", config.status());
    StatusOr<std::vector<std::unique_ptr<node::NodeServer>>> started =
        StartLocalNodes(*config, flags.nodes);
    if (!started.ok()) return Fail("serve", started.status());
    nodes = *std::move(started);
    fleet = std::make_shared<const fleet::FleetConfig>(*std::move(config));
  } else {
    std::string gguf = flags.model;
    std::string name = std::string(kDemoModel);
    if (gguf.empty()) {
      StatusOr<std::string> demo = EnsureDemoModel(flags.ledger.data_dir);
      if (!demo.ok()) return Fail("serve", demo.status());
      gguf = *demo;
    } else {
      name = fs::path(gguf).stem().string();
    }
    StatusOr<std::unique_ptr<node::NodeServer>> node = StartModelNode(gguf, name, flags.nodes);
    if (!node.ok()) return Fail("serve", node.status());
    StatusOr<fleet::FleetConfig> config = LocalFleet(name, gguf, (*node)->port());
    if (!config.ok()) return Fail("serve", config.status());
    nodes.push_back(*std::move(node));
    fleet = std::make_shared<const fleet::FleetConfig>(*std::move(config));
  }
  StatusOr<std::unique_ptr<gateway::Gateway>> gw = gateway::Gateway::Start(
      *options, fleet, **store, **counters, base::RealClock::Get());
  if (!gw.ok()) return Fail("serve", gw.status());
  std::printf("tokenfab serve: OpenAI-compatible endpoint on %s://%s/v1 (%zu local node%s)\n",
              ListenScheme(flags.gateway.tls), (*gw)->address().c_str(), nodes.size(),
              nodes.size() == 1 ? "" : "s");
  std::fflush(stdout);
  WaitForStop(signals, [&] {
    if (!flags.fleet.empty()) ReloadFleetFile(**gw, flags.fleet);
  });
  (*gw)->Stop(flags.gateway.drain);
    ReloadTlsFiles(**gw, flags.gateway.tls);
  for (auto& node : nodes) node->Stop(flags.gateway.drain);
  return kExitOk;
}

}  // namespace

Command AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "a gateway and in-process nodes: a working endpoint in one command");
  cmd->add_option("--fleet", flags->fleet,
                  "fleet file; its tokenfab-node upstreams on 127.0.0.1 run in this process")
      ->check(CLI::ExistingFile);
  cmd->add_option("--model", flags->model, "serve this GGUF model (default: a demo model)")
      ->check(CLI::ExistingFile)
      ->excludes("--fleet");
  cmd->add_option("--threads", flags->nodes.compute_threads,
                  "compute threads per in-process node (0: every core)")
      ->capture_default_str();
  AddLedgerFlags(cmd, flags->ledger);
  AddGatewayFlags(cmd, flags->gateway);
  return {cmd, [flags] { return Run(*flags); }};
}

}  // namespace tokenfab::cli
