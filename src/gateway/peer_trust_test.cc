#include "tokenfab/gateway/peer_trust.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

net::HttpRequest From(std::string tls_peer, std::optional<std::string> secret = std::nullopt) {
  net::HttpRequest request;
  request.tls_peer = std::move(tls_peer);
  if (secret) request.headers.Add(std::string(kPeerSecretHeader), *secret);
  return request;
}

TEST(PeerTrustTest, NothingConfiguredTrustsNobody) {
  const PeerTrust none;
  EXPECT_FALSE(none.Trusts(From("")));
  EXPECT_FALSE(none.Trusts(From("", "")));  // an empty header is not the empty secret
  EXPECT_FALSE(none.Trusts(From("edge-1", "anything")));
}

TEST(PeerTrustTest, AListedCertificateNameIsAPeer) {
  const PeerTrust peers{.tls_names = {"edge-1", "edge-2"}};
  EXPECT_TRUE(peers.Trusts(From("edge-2")));
  EXPECT_FALSE(peers.Trusts(From("edge-3")));
  EXPECT_FALSE(peers.Trusts(From("")));
  EXPECT_FALSE(peers.Trusts(From("edge-1x")));
}

TEST(PeerTrustTest, TheSecretMustMatchExactly) {
  const PeerTrust peers{.secret = "s3cret"};
  EXPECT_TRUE(peers.Trusts(From("", "s3cret")));
  EXPECT_TRUE(peers.Trusts(From("any-client-cert", "s3cret")));
  EXPECT_FALSE(peers.Trusts(From("", "s3cre")));
  EXPECT_FALSE(peers.Trusts(From("", "s3cret ")));
  EXPECT_FALSE(peers.Trusts(From("", "S3CRET")));
  EXPECT_FALSE(peers.Trusts(From("")));
}

}  // namespace
}  // namespace tokenfab::gateway
