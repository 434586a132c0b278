#include "tokenfab/ledger/store.h"

#include "absl/strings/match.h"

namespace tokenfab::ledger {

bool IsPostgresLocation(std::string_view location) {
  const absl::string_view l(location.data(), location.size());
  return absl::StartsWith(l, "postgresql://") || absl::StartsWith(l, "postgres://") ||
         absl::StartsWith(l, "host=") || absl::StartsWith(l, "dbname=");
}

StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view location) {
  if (location.empty()) return absl::InvalidArgumentError("empty ledger location");
  if (IsPostgresLocation(location)) return OpenPostgresStore(std::string(location));
  return OpenSqliteStore(std::string(location));
}

}  // namespace tokenfab::ledger
