// PriceCache: the ledger's price book, read from the store now and then so that pricing a request
// costs no database read. Requests price with whatever book is current when they end; a price
// added with `tokenfab prices set` applies within one refresh interval (the entry's
// effective_from still decides which price a request gets).
//
// Thread-safe: Get() is a lock-free atomic load; Refresh() reads the store (blocking).
#pragma once

#include <atomic>
#include <memory>

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/price_book.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::gateway {

class PriceCache {
 public:
  explicit PriceCache(ledger::Store& store)
      : store_(store), book_(std::make_shared<const ledger::PriceBook>()) {}

  [[nodiscard]] Status Refresh() {
    TF_ASSIGN_OR_RETURN(std::vector<ledger::PriceEntry> entries, store_.ListPrices());
    book_.store(std::make_shared<const ledger::PriceBook>(std::move(entries)),
                std::memory_order_release);
    return absl::OkStatus();
  }
  std::shared_ptr<const ledger::PriceBook> Get() const {
    return book_.load(std::memory_order_acquire);
  }

 private:
  ledger::Store& store_;
  std::atomic<std::shared_ptr<const ledger::PriceBook>> book_;
};

}  // namespace tokenfab::gateway
