#include "tokenfab/registry/registry_url.h"

#include <gtest/gtest.h>

#include "tokenfab/registry/etcd_client.h"

namespace tokenfab::registry {
namespace {

TEST(RegistryUrlTest, EtcdHostPortAndDefaultPrefix) {
  StatusOr<RegistryUrl> url = ParseRegistryUrl("etcd://127.0.0.1:2379");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "etcd");
  EXPECT_EQ(url->endpoint.HostPort(), "127.0.0.1:2379");
  EXPECT_EQ(url->prefix, "/tokenfab/nodes/");
}

TEST(RegistryUrlTest, PathIsThePrefix) {
  StatusOr<RegistryUrl> url = ParseRegistryUrl("etcd://etcd.internal:2379/prod/nodes");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->prefix, "/prod/nodes/");
  EXPECT_EQ(url->endpoint.target, "/");
}

TEST(RegistryUrlTest, RefusesOtherSchemes) {
  StatusOr<RegistryUrl> url = ParseRegistryUrl("consul://h:8500");
  ASSERT_FALSE(url.ok());
  EXPECT_NE(url.status().message().find("etcd://"), std::string_view::npos);
}

TEST(RegistryUrlTest, PostgresUriIsPassedToLibpqAndLoggedWithoutItsPassword) {
  StatusOr<RegistryUrl> url =
      ParseRegistryUrl("postgresql://tf:secret@db.internal:5433/fleet?sslmode=require");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "postgresql");
  EXPECT_EQ(url->conninfo, "postgresql://tf:secret@db.internal:5433/fleet?sslmode=require");
  EXPECT_EQ(url->prefix, "/tokenfab/nodes/");
  EXPECT_EQ(url->display, "postgresql://db.internal:5433/fleet");
  EXPECT_EQ(ParseRegistryUrl("postgres://h/db")->scheme, "postgresql");
}

TEST(EtcdClientTest, PrefixRangeEndIsTheNextKeyAfterThePrefix) {
  EXPECT_EQ(PrefixRangeEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
}

}  // namespace
}  // namespace tokenfab::registry
