#include "tokenfab/ledger/authenticator.h"

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tokenfab::ledger {
namespace {

class AuthenticatorTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) / fmt::format("auth-{}", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ledger.sqlite").string();
    StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    Tenant acme;
    acme.name = "acme";
    acme.tier = "premium";
    acme.allowed_regions = {"eu-west"};
    ASSERT_TRUE(store_->CreateTenant(acme).ok());
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string path_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  base::ManualClock clock_;
};

TEST_F(AuthenticatorTest, CreatedKeyAuthenticatesToItsTenantAndTier) {
  Authenticator auth(*store_, clock_);
  StatusOr<NewApiKey> key = auth.CreateKey("acme");
  ASSERT_TRUE(key.ok()) << key.status();
  StatusOr<Principal> who = auth.Authenticate(key->plaintext);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->key_id, key->record.key_id);
  EXPECT_EQ(who->tenant.name, "acme");
  EXPECT_EQ(who->tenant.allowed_regions, std::vector<std::string>{"eu-west"});
  EXPECT_EQ(who->tier.name, "premium");
  EXPECT_EQ(who->tier.priority, 2);
  EXPECT_EQ(auth.ListKeys("acme")->size(), 1u);
  EXPECT_TRUE(absl::IsNotFound(auth.CreateKey("ghost").status()));
}

TEST_F(AuthenticatorTest, BadKeysAreAllTheSameError) {
  Authenticator auth(*store_, clock_);
  StatusOr<NewApiKey> key = auth.CreateKey("acme");
  std::string wrong_secret = key->plaintext;
  wrong_secret.back() = wrong_secret.back() == 'x' ? 'y' : 'x';
  const std::string unknown_id = "tf-" + std::string(12, 'Z') + key->plaintext.substr(15);
  for (const std::string& bad : {std::string(), std::string("Bearer nonsense"), wrong_secret,
                                 unknown_id, key->plaintext + "x"}) {
    StatusOr<Principal> who = auth.Authenticate(bad);
    EXPECT_TRUE(absl::IsUnauthenticated(who.status())) << bad;
    EXPECT_EQ(who.status().message(), "invalid API key");
  }
}

TEST_F(AuthenticatorTest, CachedLookupsStillVerifyTheSecret) {
  Authenticator auth(*store_, clock_);
  StatusOr<NewApiKey> key = auth.CreateKey("acme");
  ASSERT_TRUE(auth.Authenticate(key->plaintext).ok());
  ASSERT_TRUE(auth.Authenticate(key->plaintext).ok());
  EXPECT_EQ(auth.cache_hits(), 1);
  std::string wrong_secret = key->plaintext;
  wrong_secret[20] = wrong_secret[20] == 'a' ? 'b' : 'a';
  EXPECT_TRUE(absl::IsUnauthenticated(auth.Authenticate(wrong_secret).status()));
  EXPECT_EQ(auth.cache_hits(), 2);  // answered from the cache, and still refused
}

TEST_F(AuthenticatorTest, LocalRevocationIsImmediate) {
  Authenticator auth(*store_, clock_);
  StatusOr<NewApiKey> key = auth.CreateKey("acme");
  ASSERT_TRUE(auth.Authenticate(key->plaintext).ok());
  ASSERT_TRUE(auth.RevokeKey(key->record.key_id).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(auth.Authenticate(key->plaintext).status()));
  EXPECT_TRUE(absl::IsNotFound(auth.RevokeKey("NOSUCHKEY000")));
  EXPECT_EQ(store_->GetApiKey(key->record.key_id)->revoked_micros, clock_.WallMicros());
}

TEST_F(AuthenticatorTest, RevocationElsewhereTakesEffectWithinTheTtl) {
  Authenticator gateway(*store_, clock_, SecureRandomBytes, {.cache_ttl_micros = 30'000'000});
  StatusOr<NewApiKey> key = gateway.CreateKey("acme");
  ASSERT_TRUE(gateway.Authenticate(key->plaintext).ok());
  // Another process (the CLI) revokes the key through its own connection.
  StatusOr<std::unique_ptr<Store>> cli_store = OpenSqliteStore(path_);
  ASSERT_TRUE(cli_store.ok());
  Authenticator cli(**cli_store, clock_);
  ASSERT_TRUE(cli.RevokeKey(key->record.key_id).ok());
  clock_.Advance(29'000'000);
  EXPECT_TRUE(gateway.Authenticate(key->plaintext).ok());  // still cached
  clock_.Advance(1'000'000);
  EXPECT_TRUE(absl::IsUnauthenticated(gateway.Authenticate(key->plaintext).status()));
}

TEST_F(AuthenticatorTest, ZeroTtlReadsThrough) {
  Authenticator auth(*store_, clock_, SecureRandomBytes, {.cache_ttl_micros = 0});
  StatusOr<NewApiKey> key = auth.CreateKey("acme");
  ASSERT_TRUE(auth.Authenticate(key->plaintext).ok());
  ASSERT_TRUE(store_->RevokeApiKey(key->record.key_id, 1).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(auth.Authenticate(key->plaintext).status()));
  EXPECT_EQ(auth.cache_hits(), 0);
}

}  // namespace
}  // namespace tokenfab::ledger
