// The in-process nodes of `tokenfab serve`: every tokenfab-node upstream of a fleet whose URL is
// on this machine (127.0.0.1 / localhost) runs here, on the port its URL names, serving the
// upstream's first model: a real engine when the fleet's [[models]] entry gives a GGUF file, the
// synthetic engine on the entry's vocabulary otherwise.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/node/node_server.h"

namespace tokenfab::cli {

struct LocalNodeOptions {
  int compute_threads = 0;  // per real engine; 0: every core
  int io_threads = 1;       // HTTP loops per node
  // The gateway's operator token and prefix key: the in-process nodes answer its polls.
  std::string operator_token;
  std::optional<api::PrefixKey> prefix_key;
};

// Starts them and waits until each has loaded its model. Errors name the upstream.
[[nodiscard]] StatusOr<std::vector<std::unique_ptr<node::NodeServer>>> StartLocalNodes(
    const fleet::FleetConfig& fleet, const LocalNodeOptions& options);

// A node on an ephemeral port serving `gguf` as `model_name` (the default embedded setup).
[[nodiscard]] StatusOr<std::unique_ptr<node::NodeServer>> StartModelNode(
    const std::string& gguf, const std::string& model_name, const LocalNodeOptions& options);

}  // namespace tokenfab::cli
