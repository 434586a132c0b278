#include "node_registry.h"

#include "tokenfab/registry/registry_url.h"

namespace tokenfab::cli {

void AddNodeRegistryFlags(CLI::App& cmd, NodeRegistryFlags& f) {
  cmd.add_option("--registry", f.registry,
                 "Register in this membership registry while serving: etcd://HOST:PORT[/PREFIX] or "
                 "postgresql://…");
  cmd.add_option("--site", f.site, "With --registry: the fleet site this node is in");
  cmd.add_option("--name", f.name, "With --registry: this node's name, unique in the fleet");
  cmd.add_option(
      "--advertise-url", f.advertise_url,
      "With --registry: the URL gateways reach this node at (default: the bound address)");
  cmd.add_option("--hardware", f.hardware,
                 "With --registry: 'kind=gpu,model=H800,count=8,peak_tflops=989,"
                 "mem_bandwidth_gbps=3350,power_idle_w=100,power_max_w=700'");
  cmd.add_option("--weight", f.weight, "With --registry: relative capacity")->capture_default_str();
  cmd.add_option("--lease-seconds", f.lease_seconds,
                 "With --registry: lease TTL; a node that stops heartbeating leaves after it")
      ->check(CLI::Range(2, 3600))
      ->capture_default_str();
  cmd.add_option("--withdraw-ms", f.withdraw_ms,
                 "With --registry: on SIGTERM, time between withdrawing from routing and "
                 "refusing new requests")
      ->check(CLI::Range(0, 600'000))
      ->capture_default_str();
}

Status CheckNodeRegistryFlags(const NodeRegistryFlags& f) {
  if (f.registry.empty()) return absl::OkStatus();
  if (f.site.empty() || f.name.empty()) {
    return absl::InvalidArgumentError("--registry needs --site and --name");
  }
  TF_RETURN_IF_ERROR(registry::ParseRegistryUrl(f.registry).status());
  if (f.hardware.empty()) {
    return absl::InvalidArgumentError(
        "--registry needs --hardware (gateways price energy from it, as from a fleet file)");
  }
  TF_RETURN_IF_ERROR(registry::ParseHardwareSpec(f.hardware).status());
  return absl::OkStatus();
}

StatusOr<std::unique_ptr<registry::Registration>> RegisterNode(const NodeRegistryFlags& f,
                                                               const node::ModelHost& host,
                                                               const std::string& bound_url) {
  if (f.registry.empty()) return std::unique_ptr<registry::Registration>();
  TF_ASSIGN_OR_RETURN(registry::RegistryUrl url, registry::ParseRegistryUrl(f.registry));
  registry::MemberRecord record;
  record.name = f.name;
  record.site = f.site;
  record.url = f.advertise_url.empty() ? bound_url : f.advertise_url;
  record.models = {host.served_model_name()};
  record.weight = f.weight;
  TF_ASSIGN_OR_RETURN(record.hardware, registry::ParseHardwareSpec(f.hardware));
  if (const auto& m = host.step_model()) {
    record.step_model = api::LoadStepModel{.base_us = m->base_us,
                                           .prefill_token_us = m->per_prefill_token_us,
                                           .decode_sequence_us = m->per_decode_sequence_us,
                                           .kv_token_us = m->per_kv_token_us};
  }
  return registry::StartRegistration(url, std::move(record), std::chrono::seconds(f.lease_seconds));
}

}  // namespace tokenfab::cli
