// The store conformance suite: every test runs against each Store implementation. A test
// binary instantiates it with the stores it can open, e.g.
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, testing::Values(StoreFactory{"sqlite", ...}));
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {

struct StoreFactory {
  std::string name;
  // Opens a store on a fresh, empty ledger. `location` receives what OpenStore() needs to open
  // the same ledger again (a path or a connection string).
  std::function<StatusOr<std::unique_ptr<Store>>(std::string* location)> open;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

inline std::string PrintStoreFactory(const testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

class StoreTest : public testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  // A UsageEvent with plausible values.
  static UsageEvent Event(std::string request_id, std::string tenant = "acme",
                          int64_t finished = 1'700'000'000'000'000);

  std::unique_ptr<Store> store_;
  std::string location_;
};

}  // namespace tokenfab::ledger
