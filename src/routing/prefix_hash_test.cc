#include "tokenfab/routing/prefix_hash.h"

#include <gtest/gtest.h>

namespace tokenfab::routing {
namespace {

TEST(PrefixHashTest, SharedPrefixesShareLeadingHashes) {
  const std::string system(200, 's');
  const auto a = HashTextChunks(system + "first question", 64);
  const auto b = HashTextChunks(system + "another question, longer than the first", 64);
  ASSERT_EQ(a.size(), 3u);  // 214 bytes: three full chunks, the tail dropped
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
  EXPECT_EQ(a[2], b[2]);  // chunk 2 is bytes 128..191: still the system prompt
  const auto c = HashTextChunks(std::string(100, 'x') + system, 64);
  EXPECT_NE(c[0], a[0]);
}

TEST(PrefixHashTest, HashesAreChained) {
  // Equal chunk contents at the same position after different prefixes hash differently.
  const auto a = HashTextChunks(std::string(64, 'a') + std::string(64, 'z'), 64);
  const auto b = HashTextChunks(std::string(64, 'b') + std::string(64, 'z'), 64);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_NE(a[1], b[1]);
  EXPECT_NE(HashTextChunks(std::string(64, 'a'), 64, 1)[0], a[0]);  // the seed matters
  EXPECT_TRUE(HashTextChunks("short", 64).empty());
}

}  // namespace
}  // namespace tokenfab::routing
