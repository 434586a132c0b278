#include "tokenfab/registry/registry_backend.h"

#include <random>

#include <fmt/format.h>

#include "tokenfab/registry/membership_watcher.h"
#include "tokenfab/registry/node_registration.h"
#include "tokenfab/registry/postgres_registration.h"
#include "tokenfab/registry/postgres_watcher.h"

namespace tokenfab::registry {

std::string NewIncarnation() {
  std::random_device device;
  const uint64_t high = device();
  const uint64_t value =
      (high << 32) ^ device() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return fmt::format("{:016x}", value);
}

StatusOr<std::unique_ptr<Registration>> StartRegistration(const RegistryUrl& url,
                                                          MemberRecord record,
                                                          std::chrono::seconds ttl) {
  if (record.incarnation.empty()) record.incarnation = NewIncarnation();
  if (url.scheme == "postgresql") {
    TF_ASSIGN_OR_RETURN(auto r, PostgresRegistration::Start(url, std::move(record), ttl));
    return std::unique_ptr<Registration>(std::move(r));
  }
  TF_ASSIGN_OR_RETURN(auto r, NodeRegistration::Start(url, std::move(record), ttl));
  return std::unique_ptr<Registration>(std::move(r));
}

StatusOr<std::unique_ptr<MemberWatch>> StartMemberWatch(const RegistryUrl& url,
                                                        MemberListener listener,
                                                        std::chrono::milliseconds retry) {
  if (url.scheme == "postgresql") {
    TF_ASSIGN_OR_RETURN(auto w, PostgresWatcher::Start(url, std::move(listener), retry));
    return std::unique_ptr<MemberWatch>(std::move(w));
  }
  TF_ASSIGN_OR_RETURN(auto w, MembershipWatcher::Start(url, std::move(listener), retry));
  return std::unique_ptr<MemberWatch>(std::move(w));
}

}  // namespace tokenfab::registry
