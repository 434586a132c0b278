// The servers shared by the ledger's integration tests, started by a global test environment.
#pragma once

#include <memory>

#include "ledger_servers.h"

namespace tokenfab::ledger {

struct IntegrationServers {
  std::unique_ptr<testing_servers::PostgresServer> postgres;
  std::unique_ptr<testing_servers::RedisServer> redis;
};

// REQUIRES: called from a test (the environment has started the servers).
IntegrationServers& Servers();

}  // namespace tokenfab::ledger
