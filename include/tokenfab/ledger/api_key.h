// API keys: the key format, the stored record and the hashing.
//
// A key is `tf-` + a 12-character base62 key id + a 32-character base62 secret (about 190 bits
// of entropy from OpenSSL's CSPRNG). It is shown once, when created. The store keeps only the
// key id (public: listing and revocation use it), a random 16-byte salt and
// SHA-256(salt || key).
//
// Why a salted SHA-256 and not a slow password hash or an HMAC with a server secret: a key is
// 190 random bits, so brute force against a stolen hash is hopeless whatever the hash speed, and
// a slow hash (bcrypt, argon2) would only cost CPU on every request. A per-key salt keeps equal
// keys from having equal hashes and defeats precomputed tables, without a server secret that
// every gateway of a region would have to share and rotate.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::ledger {

inline constexpr std::string_view kApiKeyPrefix = "tf-";
inline constexpr size_t kApiKeyIdChars = 12;
inline constexpr size_t kApiKeySecretChars = 32;
inline constexpr size_t kApiKeyChars = 3 + kApiKeyIdChars + kApiKeySecretChars;
inline constexpr size_t kApiKeySaltBytes = 16;

// Fills a buffer with random bytes. Production uses SecureRandomBytes (OpenSSL RAND_bytes, a
// CSPRNG); tests may pass a seeded source. base::Random is not suitable: it is predictable.
using RandomBytesFn = std::function<Status(std::span<uint8_t>)>;
[[nodiscard]] Status SecureRandomBytes(std::span<uint8_t> out);

// What the store keeps about a key: never the key itself.
struct ApiKeyRecord {
  std::string key_id;       // 12 base62 characters, public
  std::string tenant;
  std::string salt_hex;     // 32 hex characters
  std::string hash_hex;     // 64 hex characters: SHA-256(salt || key)
  int64_t created_micros = 0;               // wall clock, µs since the epoch
  std::optional<int64_t> revoked_micros;    // set once revoked

  bool revoked() const { return revoked_micros.has_value(); }
  bool operator==(const ApiKeyRecord&) const = default;
};

// A fresh key and its record (tenant and created time filled by the caller).
struct NewApiKey {
  std::string plaintext;  // shown once, never stored
  ApiKeyRecord record;
};
[[nodiscard]] StatusOr<NewApiKey> GenerateApiKey(const RandomBytesFn& random);

// The key id of a well-formed key; InvalidArgument (without echoing the key) otherwise.
[[nodiscard]] StatusOr<std::string> ParseApiKeyId(std::string_view key);

// Lower-case hex of SHA-256(salt || key). InvalidArgument when salt_hex is not hex.
[[nodiscard]] StatusOr<std::string> HashApiKey(std::string_view salt_hex, std::string_view key);

// True when `key` hashes to record.hash_hex. The comparison of the two digests takes the same
// time wherever they differ (base::ConstantTimeEquals).
bool ApiKeyMatches(const ApiKeyRecord& record, std::string_view key);

}  // namespace tokenfab::ledger
