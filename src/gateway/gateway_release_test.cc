// Where the gateway settles an admission: a slow release at the counters (a Redis round trip)
// must not hold up the ledger's writer, and so every other request's usage event.
#include <atomic>
#include <future>

#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

// LocalCounters whose first ReleaseSlot blocks until Unblock().
class BlockingRelease final : public ledger::RateCounters {
 public:
  explicit BlockingRelease(ledger::RateCounters& inner) : inner_(inner) {}
  StatusOr<ledger::TakeResult> TryTake(std::span<const ledger::BucketTake> takes,
                                       int64_t now_micros) override {
    return inner_.TryTake(takes, now_micros);
  }
  Status Adjust(const ledger::BucketSpec& bucket, int64_t delta, int64_t now_micros) override {
    return inner_.Adjust(bucket, delta, now_micros);
  }
  StatusOr<bool> AcquireSlot(std::string_view key, int64_t limit, std::string_view lease_id,
                             int64_t now_micros) override {
    return inner_.AcquireSlot(key, limit, lease_id, now_micros);
  }
  Status ReleaseSlot(std::string_view key, std::string_view lease_id) override {
    if (!first_.exchange(true)) {
      blocked_ = true;
      gate_.wait();
    }
    return inner_.ReleaseSlot(key, lease_id);
  }
  bool blocked() const { return blocked_.load(); }
  void Unblock() { open_.set_value(); }

 private:
  ledger::RateCounters& inner_;
  std::atomic<bool> first_{false};
  std::atomic<bool> blocked_{false};
  std::promise<void> open_;
  std::shared_future<void> gate_ = open_.get_future().share();
};

TEST_F(GatewayRelayTest, ASlowAdmissionReleaseDoesNotHoldUpOtherUsageEvents) {
  AddUpstream({.tokens = 3});
  StatusOr<ledger::Tier> standard = store_->GetTier("standard");  // acme's tier
  ASSERT_TRUE(standard.ok()) << standard.status();
  standard->limits.max_concurrency = 10;  // so that each request releases a slot
  ASSERT_TRUE(store_->PutTier(*standard).ok());
  BlockingRelease blocking(counters_);
  counters_in_use_ = &blocking;
  StartGateway();
  auto first = std::async(std::launch::async, [&] { return Chat("first", false); });
  ASSERT_TRUE(WaitFor([&] { return blocking.blocked(); }));
  auto tokens = [&] { return *store_->TenantTokens("acme", 0, INT64_MAX); };
  const int64_t first_tokens = tokens();
  ASSERT_GT(first_tokens, 0);
  // The first request's release is stuck; the second's usage event is committed all the same
  // (before, the writer thread was the one stuck, and nothing more was committed).
  auto second = std::async(std::launch::async, [&] { return Chat("second", false); });
  const bool committed =
      WaitFor([&] { return tokens() > first_tokens; }, std::chrono::milliseconds(3'000));
  blocking.Unblock();
  EXPECT_TRUE(committed);
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(second.get().status, 200);
}

}  // namespace
}  // namespace tokenfab::gateway
