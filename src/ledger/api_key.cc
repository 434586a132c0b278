#include "tokenfab/ledger/api_key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "tokenfab/base/constant_time.h"

namespace tokenfab::ledger {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return s.size() % 2 == 0;
}

// `count` uniformly random base62 characters: bytes >= 248 (= 4 * 62) are rejected so that every
// character has probability exactly 1/62.
Status AppendBase62(const RandomBytesFn& random, size_t count, std::string& out) {
  uint8_t buffer[64];
  while (count > 0) {
    TF_RETURN_IF_ERROR(random(std::span<uint8_t>(buffer, sizeof(buffer))));
    for (uint8_t b : buffer) {
      if (count == 0) break;
      if (b >= 248) continue;
      out.push_back(kBase62[b % 62]);
      --count;
    }
  }
  return absl::OkStatus();
}

}  // namespace

Status SecureRandomBytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed: no secure randomness available");
  }
  return absl::OkStatus();
}

StatusOr<NewApiKey> GenerateApiKey(const RandomBytesFn& random) {
  NewApiKey key;
  key.plaintext = std::string(kApiKeyPrefix);
  TF_RETURN_IF_ERROR(AppendBase62(random, kApiKeyIdChars + kApiKeySecretChars, key.plaintext));
  key.record.key_id = key.plaintext.substr(kApiKeyPrefix.size(), kApiKeyIdChars);
  uint8_t salt[kApiKeySaltBytes];
  TF_RETURN_IF_ERROR(random(std::span<uint8_t>(salt, sizeof(salt))));
  key.record.salt_hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(salt), sizeof(salt)));
  TF_ASSIGN_OR_RETURN(key.record.hash_hex, HashApiKey(key.record.salt_hex, key.plaintext));
  return key;
}

StatusOr<std::string> ParseApiKeyId(std::string_view key) {
  if (key.size() != kApiKeyChars || key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) {
    return absl::InvalidArgumentError("malformed API key: expected tf- and 44 base62 characters");
  }
  for (char c : key.substr(kApiKeyPrefix.size())) {
    if (!IsBase62(c)) {
      return absl::InvalidArgumentError("malformed API key: a character is not base62");
    }
  }
  return std::string(key.substr(kApiKeyPrefix.size(), kApiKeyIdChars));
}

StatusOr<std::string> HashApiKey(std::string_view salt_hex, std::string_view key) {
  if (!IsHex(salt_hex)) return absl::InvalidArgumentError("API key salt is not hex");
  const std::string salt = absl::HexStringToBytes(absl::string_view(salt_hex.data(), salt_hex.size()));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
                  EVP_DigestUpdate(ctx, key.data(), key.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, nullptr) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return absl::InternalError("OpenSSL SHA-256 failed");
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

bool ApiKeyMatches(const ApiKeyRecord& record, std::string_view key) {
  StatusOr<std::string> hash = HashApiKey(record.salt_hex, key);
  if (!hash.ok()) return false;
  return base::ConstantTimeEquals(*hash, record.hash_hex);
}

}  // namespace tokenfab::ledger
