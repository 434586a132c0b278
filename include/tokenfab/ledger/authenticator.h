// Authenticator: creates, lists and revokes API keys, and turns a presented key into the tenant
// and tier it belongs to.
//
// A presented key is parsed for its public key id, the key's record is looked up, and
// SHA-256(salt || presented key) is compared with the stored hash in constant time. Every failure
// (malformed, unknown, wrong secret, revoked) is the same Unauthenticated error, so a caller
// learns nothing about which part was wrong.
//
// Cache: verified lookups (the stored record, tenant and tier; never the plaintext key) are kept
// for cache_ttl so that a request does not cost a database read. Revoking through this object
// drops the entry at once; a revocation or tier change made elsewhere (the CLI, another gateway)
// takes effect within cache_ttl, when the entry is read again. cache_ttl = 0 reads through on
// every request. The cache holds at most cache_capacity entries (it is cleared when full).
//
// Thread-safety: all methods may be called from any thread. The store and clock must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/ledger/api_key.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/tenant.h"

namespace tokenfab::ledger {

// Who a request is from, once authenticated.
struct Principal {
  std::string key_id;
  Tenant tenant;
  Tier tier;
};

struct AuthenticatorOptions {
  int64_t cache_ttl_micros = 30'000'000;  // 30 s
  size_t cache_capacity = 100'000;
};

class Authenticator {
 public:
  Authenticator(Store& store, base::Clock& clock, RandomBytesFn random = SecureRandomBytes,
                AuthenticatorOptions options = {});

  // A new key for an existing tenant (NotFound otherwise). The plaintext is in the result only;
  // the store keeps the record.
  [[nodiscard]] StatusOr<NewApiKey> CreateKey(std::string_view tenant);
  // Every key, or the tenant's when non-empty.
  [[nodiscard]] StatusOr<std::vector<ApiKeyRecord>> ListKeys(std::string_view tenant = "");
  // NotFound for an unknown key id.
  [[nodiscard]] Status RevokeKey(std::string_view key_id) ABSL_LOCKS_EXCLUDED(mu_);

  // The principal for a presented key (the `Authorization: Bearer` value). Unauthenticated for
  // any bad key; other errors (Unavailable) when the store cannot be read.
  [[nodiscard]] StatusOr<Principal> Authenticate(std::string_view presented_key)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Number of Authenticate() calls answered from the cache (for tests and metrics).
  int64_t cache_hits() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    ApiKeyRecord record;
    Principal principal;
    int64_t fetched_micros;  // monotonic
  };

  StatusOr<Entry> Load(const std::string& key_id);

  Store& store_;
  base::Clock& clock_;
  const RandomBytesFn random_;
  const AuthenticatorOptions options_;

  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);  // key id -> entry
  int64_t cache_hits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tokenfab::ledger
