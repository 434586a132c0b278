#include "tokenfab/ledger/authenticator.h"

#include "absl/synchronization/mutex.h"

namespace tokenfab::ledger {
namespace {

Status Unauthenticated() {
  return absl::UnauthenticatedError("invalid API key");
}

}  // namespace

Authenticator::Authenticator(Store& store, base::Clock& clock, RandomBytesFn random,
                             AuthenticatorOptions options)
    : store_(store), clock_(clock), random_(std::move(random)), options_(options) {}

StatusOr<NewApiKey> Authenticator::CreateKey(std::string_view tenant) {
  TF_RETURN_IF_ERROR(store_.GetTenant(tenant).status());
  // A key id collision (62^12 ids) is astronomically unlikely; retry a few times all the same.
  for (int attempt = 0; attempt < 3; ++attempt) {
    TF_ASSIGN_OR_RETURN(NewApiKey key, GenerateApiKey(random_));
    key.record.tenant = std::string(tenant);
    key.record.created_micros = clock_.WallMicros();
    Status status = store_.InsertApiKey(key.record);
    if (status.ok()) return key;
    if (!absl::IsAlreadyExists(status)) return status;
  }
  return absl::InternalError("could not find a free API key id");
}

StatusOr<std::vector<ApiKeyRecord>> Authenticator::ListKeys(std::string_view tenant) {
  return store_.ListApiKeys(tenant);
}

Status Authenticator::RevokeKey(std::string_view key_id) {
  TF_RETURN_IF_ERROR(store_.RevokeApiKey(key_id, clock_.WallMicros()));
  absl::MutexLock lock(&mu_);
  cache_.erase(std::string(key_id));
  return absl::OkStatus();
}

StatusOr<Authenticator::Entry> Authenticator::Load(const std::string& key_id) {
  StatusOr<ApiKeyRecord> record = store_.GetApiKey(key_id);
  if (absl::IsNotFound(record.status())) return Unauthenticated();
  TF_RETURN_IF_ERROR(record.status());
  Entry entry{*record, Principal{key_id, {}, {}}, clock_.NowMicros()};
  TF_ASSIGN_OR_RETURN(entry.principal.tenant, store_.GetTenant(record->tenant));
  TF_ASSIGN_OR_RETURN(entry.principal.tier, store_.GetTier(entry.principal.tenant.tier));
  return entry;
}

StatusOr<Principal> Authenticator::Authenticate(std::string_view presented_key) {
  StatusOr<std::string> key_id = ParseApiKeyId(presented_key);
  if (!key_id.ok()) return Unauthenticated();
  const int64_t now = clock_.NowMicros();
  std::optional<Entry> entry;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(*key_id);
    if (it != cache_.end() && now - it->second.fetched_micros < options_.cache_ttl_micros) {
      entry = it->second;
      ++cache_hits_;
    }
  }
  if (!entry) {
    TF_ASSIGN_OR_RETURN(Entry loaded, Load(*key_id));
    entry = loaded;
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= options_.cache_capacity) cache_.clear();
    if (options_.cache_ttl_micros > 0) cache_.insert_or_assign(*key_id, std::move(loaded));
  }
  // Verified on every request, cached or not: the cache holds the hash, never the key.
  if (!ApiKeyMatches(entry->record, presented_key)) return Unauthenticated();
  if (entry->record.revoked()) return Unauthenticated();
  return entry->principal;
}

int64_t Authenticator::cache_hits() const {
  absl::MutexLock lock(&mu_);
  return cache_hits_;
}

}  // namespace tokenfab::ledger
