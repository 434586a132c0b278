#include "serve_nodes.h"

#include <fmt/format.h>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/node/model_host.h"

namespace tokenfab::cli {
namespace {

bool IsLocalHost(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

StatusOr<std::unique_ptr<node::NodeServer>> StartNode(const std::string& host, uint16_t port,
                                                      node::ModelHostOptions model,
                                                      const LocalNodeOptions& options) {
  node::NodeOptions server;
  server.host = host;
  server.port = port;
  server.io_threads = options.io_threads;
  server.operator_token = options.operator_token;
  server.prefix_key = options.prefix_key;
  TF_ASSIGN_OR_RETURN(std::unique_ptr<node::NodeServer> node,
                      node::NodeServer::Start(server, base::RealClock::Get()));
  model.threads = options.compute_threads;
  TF_ASSIGN_OR_RETURN(std::unique_ptr<node::ModelHost> loaded,
                      node::ModelHost::Load(model, node->clock(), &node->metrics_registry()));
  TF_LOG_INFO("node on {}: {}", node->address(), loaded->description());
  node->Serve(std::move(loaded));
  return node;
}

}  // namespace

StatusOr<std::unique_ptr<node::NodeServer>> StartModelNode(const std::string& gguf,
                                                           const std::string& model_name,
                                                           const LocalNodeOptions& options) {
  node::ModelHostOptions model;
  model.engine = node::EngineKind::kModel;
  model.model_path = gguf;
  model.served_model_name = model_name;
  return StartNode("127.0.0.1", 0, std::move(model), options);
}

StatusOr<std::vector<std::unique_ptr<node::NodeServer>>> StartLocalNodes(
    const fleet::FleetConfig& fleet, const LocalNodeOptions& options) {
  std::vector<std::unique_ptr<node::NodeServer>> nodes;
  for (const fleet::Upstream& up : fleet.upstreams()) {
    if (up.kind != fleet::UpstreamKind::kTokenfabNode || !IsLocalHost(up.url.host)) continue;
    const std::string& model_name = up.models.front();
    const fleet::ModelSource* source = fleet.FindModel(model_name);
    if (source == nullptr) {
      return absl::InvalidArgumentError(fmt::format(
          "upstream {} serves model \"{}\", which has no [[models]] entry (a gguf file to load "
          "or a vocab for the synthetic engine)",
          up.name, model_name));
    }
    node::ModelHostOptions model;
    model.served_model_name = model_name;
    if (!source->gguf.empty()) {
      model.engine = node::EngineKind::kModel;
      model.model_path = source->gguf;
    } else {
      model.engine = node::EngineKind::kSynthetic;
      model.vocab = source->vocab;
    }
    StatusOr<std::unique_ptr<node::NodeServer>> node =
        StartNode(up.url.host, up.url.port, std::move(model), options);
    if (!node.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("upstream {} ({}): {}", up.name, up.url.ToString(), node.status().message()));
    }
    nodes.push_back(*std::move(node));
  }
  return nodes;
}

}  // namespace tokenfab::cli
