#include "tokenfab/ledger/api_key.h"

#include <set>

#include <gtest/gtest.h>

#include "tokenfab/base/random.h"

namespace tokenfab::ledger {
namespace {

RandomBytesFn Seeded(uint64_t seed) {
  auto random = std::make_shared<base::Random>(seed);
  return [random](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>(random->NextU64());
    return absl::OkStatus();
  };
}

TEST(ApiKeyTest, GeneratedKeyHasTheFormatAndMatchesOnlyItsRecord) {
  StatusOr<NewApiKey> key = GenerateApiKey(SecureRandomBytes);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->plaintext.size(), kApiKeyChars);
  EXPECT_EQ(key->plaintext.substr(0, 3), "tf-");
  EXPECT_EQ(*ParseApiKeyId(key->plaintext), key->record.key_id);
  EXPECT_EQ(key->record.salt_hex.size(), 32u);
  EXPECT_EQ(key->record.hash_hex.size(), 64u);
  EXPECT_EQ(key->record.hash_hex.find(key->plaintext), std::string::npos);
  EXPECT_TRUE(ApiKeyMatches(key->record, key->plaintext));

  std::string tampered = key->plaintext;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(ApiKeyMatches(key->record, tampered));
  EXPECT_FALSE(ApiKeyMatches(key->record, ""));
}

TEST(ApiKeyTest, SaltMakesEqualKeysHashDifferently) {
  EXPECT_NE(*HashApiKey("00", "tf-x"), *HashApiKey("01", "tf-x"));
  // SHA-256("tf-x") with an empty salt, a fixed vector.
  EXPECT_EQ(*HashApiKey("", "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(HashApiKey("zz", "abc").ok());
}

TEST(ApiKeyTest, KeysAreUniqueAndBase62IsUnbiased) {
  RandomBytesFn random = Seeded(7);
  std::set<std::string> keys;
  std::array<int, 128> counts{};
  for (int i = 0; i < 2000; ++i) {
    StatusOr<NewApiKey> key = GenerateApiKey(random);
    ASSERT_TRUE(key.ok());
    keys.insert(key->plaintext);
    for (char c : key->plaintext.substr(3)) ++counts[static_cast<unsigned char>(c)];
  }
  EXPECT_EQ(keys.size(), 2000u);
  // 88000 characters over 62 symbols: about 1419 each; a biased mapping (byte % 62 without
  // rejection) would give the first 8 symbols about 1.3x the others.
  int distinct = 0;
  for (int c = 0; c < 128; ++c) {
    if (counts[c] == 0) continue;
    ++distinct;
    EXPECT_NEAR(counts[c], 88000.0 / 62, 200) << static_cast<char>(c);
  }
  EXPECT_EQ(distinct, 62);
}

TEST(ApiKeyTest, ParseRejectsMalformedKeys) {
  EXPECT_FALSE(ParseApiKeyId("").ok());
  EXPECT_FALSE(ParseApiKeyId("sk-" + std::string(44, 'a')).ok());
  EXPECT_FALSE(ParseApiKeyId("tf-" + std::string(43, 'a')).ok());
  EXPECT_FALSE(ParseApiKeyId("tf-" + std::string(43, 'a') + "!").ok());
  EXPECT_EQ(*ParseApiKeyId("tf-" + std::string(12, 'A') + std::string(32, 'b')),
            std::string(12, 'A'));
}

}  // namespace
}  // namespace tokenfab::ledger
