#include "tokenfab/ledger/store.h"

#include <fmt/format.h>

#include "absl/strings/match.h"

namespace tokenfab::ledger {

bool IsPostgresLocation(std::string_view location) {
  const absl::string_view l(location.data(), location.size());
  return absl::StartsWith(l, "postgresql://") || absl::StartsWith(l, "postgres://") ||
         absl::StartsWith(l, "host=") || absl::StartsWith(l, "dbname=");
}

Status Store::ScanUsage(int64_t /*from_micros*/, int64_t /*to_micros*/,
                        const std::function<void(const UsageEvent&)>& /*visit*/) {
  return absl::UnimplementedError(fmt::format("the {} store cannot list usage events", kind()));
}

StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view location) {
  if (location.empty()) return absl::InvalidArgumentError("empty ledger location");
  if (IsPostgresLocation(location)) return OpenPostgresStore(std::string(location));
  return OpenSqliteStore(std::string(location));
}

}  // namespace tokenfab::ledger
