// Shared pieces of the gateway's multi-process tests: a fresh ledger (SQLite file or PostgreSQL
// database from the integration servers) with a tenant and a key, fleet files, and the path of
// the tokenfab binary.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ledger_integration_env.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::gateway_it {

inline std::filesystem::path FreshDir(const std::string& tag) {
  static int counter = 0;
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) /
                                    fmt::format("gw-{}-{}-{}", tag, getpid(), counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A ledger at a fresh location: "sqlite" (a file in `dir`) or "postgresql" (a new database).
inline StatusOr<std::string> FreshLedger(const std::string& kind, const std::filesystem::path& dir) {
  if (kind == "postgresql") return ledger::Servers().postgres->CreateDatabase();
  return (dir / "ledger.sqlite").string();
}

// Creates `tenant` on `tier` with `regions`, and returns a new key for it.
inline StatusOr<std::string> AddTenant(ledger::Store& store, const std::string& tenant,
                                       const std::string& tier,
                                       std::vector<std::string> regions = {},
                                       ledger::Limits limits = {}) {
  ledger::Tenant t;
  t.name = tenant;
  t.tier = tier;
  t.allowed_regions = std::move(regions);
  t.limits = limits;
  t.created_micros = base::RealClock::Get().WallMicros();
  TF_RETURN_IF_ERROR(store.CreateTenant(t));
  ledger::Authenticator auth(store, base::RealClock::Get());
  TF_ASSIGN_OR_RETURN(ledger::NewApiKey key, auth.CreateKey(tenant));
  return key.plaintext;
}

// A price for every model in every region: a gateway refuses to serve a model without one
// (gateway/model_prices.h).
inline Status AddCatchAllPrice(ledger::Store& store) {
  ledger::PriceEntry price;
  price.model = "*";
  price.region = "*";
  price.input_per_million = 2'000'000;
  price.cached_input_per_million = 500'000;
  price.output_per_million = 8'000'000;
  price.currency = "CNY";
  return store.AddPrice(price);
}

// The ledger most gateway tests start from: the tenant "acme" on the premium tier, with a key,
// and a price for every model. Returns acme's key.
inline StatusOr<std::string> PrepareLedger(const std::string& location) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Store> store, ledger::OpenStore(location));
  TF_ASSIGN_OR_RETURN(std::string key, AddTenant(*store, "acme", "premium"));
  TF_RETURN_IF_ERROR(AddCatchAllPrice(*store));
  return key;
}

inline void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

}  // namespace tokenfab::gateway_it
