// `tokenfab node --registry URL --site NAME --name NAME` (etcd:// or postgresql://): the node's
// membership in the registry (registry/registry_backend.h). Registered once the model is loaded and
// the node serves; on SIGINT / SIGTERM withdrawn first (draining), then deregistered after its
// streams end.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tokenfab/base/status.h"
#include "tokenfab/node/model_host.h"
#include "tokenfab/registry/registry_backend.h"

namespace tokenfab::cli {

struct NodeRegistryFlags {
  std::string registry;  // empty: no registration
  std::string site;
  std::string name;
  std::string advertise_url;  // empty: http://<bound address>
  std::string hardware;
  double weight = 1.0;
  int lease_seconds = 10;
  int withdraw_ms = 1000;  // between withdrawing and stopping: gateways' views catch up
};

void AddNodeRegistryFlags(CLI::App& cmd, NodeRegistryFlags& flags);

// InvalidArgument when --registry is given without --site and --name, or a flag is malformed.
[[nodiscard]] Status CheckNodeRegistryFlags(const NodeRegistryFlags& flags);

// Registers the node serving `host` at `bound_url` ("http://host:port", https when it serves
// TLS) unless --advertise-url names another. Null without --registry.
[[nodiscard]] StatusOr<std::unique_ptr<registry::Registration>> RegisterNode(
    const NodeRegistryFlags& flags, const node::ModelHost& host, const std::string& bound_url);

}  // namespace tokenfab::cli
