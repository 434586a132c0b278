#include "ledger_integration_env.h"

#include <gtest/gtest.h>

#include "tokenfab/base/check.h"

namespace tokenfab::ledger {
namespace {

IntegrationServers* servers = nullptr;

class ServersEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    servers = new IntegrationServers();
    StatusOr<std::unique_ptr<testing_servers::PostgresServer>> pg =
        testing_servers::PostgresServer::Start({});
    ASSERT_TRUE(pg.ok()) << pg.status();
    servers->postgres = std::move(*pg);
    StatusOr<std::unique_ptr<testing_servers::RedisServer>> redis =
        testing_servers::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    servers->redis = std::move(*redis);
  }
  void TearDown() override {
    delete servers;  // stops both servers
    servers = nullptr;
  }
};

[[maybe_unused]] testing::Environment* const environment =
    testing::AddGlobalTestEnvironment(new ServersEnvironment());

}  // namespace

IntegrationServers& Servers() {
  TF_CHECK(servers != nullptr && servers->postgres && servers->redis)
      << "the integration servers did not start";
  return *servers;
}

}  // namespace tokenfab::ledger
