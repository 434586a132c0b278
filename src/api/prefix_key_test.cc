#include "tokenfab/api/prefix_key.h"

#include <string>

#include <gtest/gtest.h>

namespace tokenfab::api {
namespace {

// Expected values from an independent HMAC-SHA256 implementation over
// "tokenfab-block" | LE64(hash), first 8 bytes read little-endian.
TEST(PrefixKeyTest, PublishIsHmacSha256OfTheHash) {
  EXPECT_EQ(PrefixKey::FromSecret("deployment-secret").Publish(0x0123456789abcdefULL),
            0xce0e48927b30864cULL);
  // A secret longer than SHA-256's block is hashed first, as RFC 2104 says.
  EXPECT_EQ(PrefixKey::FromSecret(std::string(100, 'x')).Publish(42), 0x158fa19444094304ULL);
}

TEST(PrefixKeyTest, DifferentSecretsPublishDifferentNames) {
  const PrefixKey a = PrefixKey::FromSecret("secret-a");
  const PrefixKey b = PrefixKey::FromSecret("secret-b");
  EXPECT_NE(a.Publish(7), b.Publish(7));
  EXPECT_NE(a.Publish(7), 7u);
  EXPECT_EQ(a.Publish(7), PrefixKey::FromSecret("secret-a").Publish(7));
  StatusOr<PrefixKey> r1 = PrefixKey::Random(), r2 = PrefixKey::Random();
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_NE(r1->Publish(7), r2->Publish(7));
}

}  // namespace
}  // namespace tokenfab::api
