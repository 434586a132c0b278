// The flags of a service's secrets, shared by `tokenfab gateway`, `node` and `serve`: the
// operator token of the operations routes (api/operator_auth.h) and the deployment's prefix-hash
// secret (api/prefix_key.h); and the warning of a service whose operations routes are open.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "tokenfab/api/operator_auth.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::cli {

// The warning of a service started without an operator token: its operations routes answer
// anyone who reaches `host`.
inline void WarnOpenOperations(std::string_view service, std::string_view host) {
  TF_LOG_WARN(
      "{}: no operator token (--operator-token-file or {}): /load, /metrics and the other "
      "operations routes answer anyone who reaches {}",
      service, api::kOperatorTokenEnv, host);
}

// The flags of the operator token and the prefix-hash secret, shared by gateway, node and serve.
inline void AddSecretFlags(CLI::App* app, std::string& operator_token_file,
                           std::string& prefix_secret_file) {
  app->add_option("--operator-token-file", operator_token_file,
                  "file holding the operator token that /load, /fleet, /metrics and the "
                  "dashboard require as 'Authorization: Bearer' (default: the environment "
                  "variable TOKENFAB_OPERATOR_TOKEN; neither: they answer anyone)");
  app->add_option("--prefix-secret-file", prefix_secret_file,
                  "file holding the deployment's secret that keys the prefix-cache hashes "
                  "published on /load; gateways and nodes routing by prefix need the same one "
                  "(default: a random secret per process)");
}

}  // namespace tokenfab::cli
