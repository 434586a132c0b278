#include "tokenfab/ledger/admission.h"

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tokenfab::ledger {
namespace {

constexpr int64_t kSecond = 1'000'000;

class AdmissionTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) / fmt::format("admission-{}", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore((dir_ / "ledger.sqlite").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    tier_.name = "standard";
    tier_.priority = 3;
    tenant_.name = "acme";
    tenant_.tier = "standard";
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  StatusOr<Admission> Admit(AdmissionController& c, int64_t prompt, int64_t max_output,
                            std::string region = "") {
    AdmissionRequest r;
    r.tenant = &tenant_;
    r.tier = &tier_;
    r.region = std::move(region);
    r.prompt_tokens = prompt;
    r.max_output_tokens = max_output;
    return c.Admit(r);
  }

  // Records a finished request of `tokens` tokens (prompt + completion) in the ledger.
  void RecordUsage(const std::string& id, int64_t tokens, int64_t finished) {
    UsageEvent e;
    e.request_id = id;
    e.tenant = tenant_.name;
    e.prompt_tokens = tokens;
    e.finished_micros = finished;
    ASSERT_TRUE(store_->InsertUsage({&e, 1}).ok());
  }

  // Starts at 2024-03-10 12:00 UTC.
  base::ManualClock clock_{0, 1'710'072'000'000'000};
  LocalCounters counters_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  Tier tier_;
  Tenant tenant_;
};

TEST_F(AdmissionTest, UnlimitedTenantIsAdmittedWithItsPriority) {
  AdmissionController c(clock_, counters_, store_.get());
  StatusOr<Admission> a = Admit(c, 100, 50);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->allowed());
  EXPECT_EQ(a->ticket->priority(), 3);
  EXPECT_EQ(a->ticket->reserved_tokens(), 150);
  EXPECT_EQ(a->ticket->tenant(), "acme");
}

// A request with n choices per prompt over several prompts may produce max_tokens for each
// choice: prompt 100 + 50 × 6 choices = 400, not 150.
TEST_F(AdmissionTest, ReservationCountsEveryChoice) {
  tenant_.limits.tpm = 1000;
  AdmissionController c(clock_, counters_, store_.get());
  AdmissionRequest r;
  r.tenant = &tenant_;
  r.tier = &tier_;
  r.prompt_tokens = 100;
  r.max_output_tokens = 50;
  r.choices = 6;  // n = 2 over 3 prompts
  StatusOr<Admission> first = c.Admit(r);
  ASSERT_TRUE(first.ok() && first->allowed());
  EXPECT_EQ(first->ticket->reserved_tokens(), 400);
  // 1000 - 400 left in the bucket.
  EXPECT_EQ(
      counters_.Level({TenantCounterKey("acme", "tpm"), 1000, 60 * kSecond}, clock_.WallMicros()),
      600);
  StatusOr<Admission> second = c.Admit(r);  // 800 of 1000
  ASSERT_TRUE(second.ok() && second->allowed());
  StatusOr<Admission> third = c.Admit(r);  // would be 1200
  ASSERT_TRUE(third.ok());
  ASSERT_FALSE(third->allowed());
  EXPECT_EQ(third->rejection->reason, RejectReason::kTokenRate);
}

TEST_F(AdmissionTest, BudgetCountsEveryChoice) {
  tenant_.limits.token_budget = 1000;
  tenant_.limits.budget_period = BudgetPeriod::kDay;
  AdmissionController c(clock_, counters_, store_.get());
  AdmissionRequest r;
  r.tenant = &tenant_;
  r.tier = &tier_;
  r.prompt_tokens = 10;
  r.max_output_tokens = 100;
  r.choices = 4;  // 10 + 400 = 410
  StatusOr<Admission> first = c.Admit(r);
  StatusOr<Admission> second = c.Admit(r);  // 820 in flight
  ASSERT_TRUE(first->allowed() && second->allowed());
  EXPECT_EQ(*c.BudgetUsed("acme", BudgetPeriod::kDay), 820);
  StatusOr<Admission> third = c.Admit(r);  // 1230 > 1000
  ASSERT_FALSE(third->allowed());
  EXPECT_EQ(third->rejection->reason, RejectReason::kTokenBudget);
}

// With no max_tokens the reservation per choice is the default, cut to the tier's max_tokens.
TEST_F(AdmissionTest, DefaultOutputIsCappedByTheTier) {
  AdmissionOptions options;
  options.default_max_output_tokens = 4096;
  AdmissionRequest r;
  r.tenant = &tenant_;
  r.tier = &tier_;
  r.prompt_tokens = 100;
  r.choices = 2;
  EXPECT_EQ(ReservedTokens(r, options), 100 + 4096 * 2);
  tier_.max_tokens = 64;
  EXPECT_EQ(ReservedTokens(r, options), 100 + 64 * 2);
  r.max_output_tokens = 30;  // given (and within the cap): taken as is
  EXPECT_EQ(ReservedTokens(r, options), 100 + 30 * 2);
  r.choices = 0;  // counts as one
  EXPECT_EQ(ReservedTokens(r, options), 130);
}

TEST_F(AdmissionTest, HugeReservationsSaturate) {
  AdmissionRequest r;
  r.tenant = &tenant_;
  r.tier = &tier_;
  r.prompt_tokens = 1'000'000;
  r.max_output_tokens = 2'147'483'647;
  r.choices = int64_t{1} << 40;
  EXPECT_EQ(ReservedTokens(r, {}), kMaxReservation);
  r.choices = 128;
  EXPECT_EQ(ReservedTokens(r, {}), 1'000'000 + int64_t{2'147'483'647} * 128);
  tenant_.limits.tpm = 1'000'000'000;
  AdmissionController c(clock_, counters_, store_.get());
  r.choices = int64_t{1} << 40;
  StatusOr<Admission> a = c.Admit(r);
  ASSERT_TRUE(a.ok());
  ASSERT_FALSE(a->allowed());
  EXPECT_EQ(a->rejection->reason, RejectReason::kRequestTooLarge);
}

TEST_F(AdmissionTest, RequestsPerMinuteGive429WithRetryAfter) {
  tenant_.limits.rpm = 2;  // refills one per 30 s
  AdmissionController c(clock_, counters_, store_.get());
  ASSERT_TRUE(Admit(c, 1, 1)->allowed());
  ASSERT_TRUE(Admit(c, 1, 1)->allowed());
  StatusOr<Admission> third = Admit(c, 1, 1);
  ASSERT_FALSE(third->allowed());
  EXPECT_EQ(third->rejection->reason, RejectReason::kRequestRate);
  EXPECT_EQ(third->rejection->http_status, 429);
  EXPECT_EQ(third->rejection->retry_after_seconds, 30);
  clock_.Advance(29 * kSecond);
  EXPECT_EQ(Admit(c, 1, 1)->rejection->retry_after_seconds, 1);
  clock_.Advance(kSecond);
  EXPECT_TRUE(Admit(c, 1, 1)->allowed());
}

TEST_F(AdmissionTest, TokensPerMinuteReserveThenCorrectWithActualUsage) {
  tenant_.limits.tpm = 1000;
  AdmissionController c(clock_, counters_, store_.get());
  StatusOr<Admission> a = Admit(c, 200, 600);  // reserves 800
  ASSERT_TRUE(a->allowed());
  StatusOr<Admission> b = Admit(c, 100, 200);  // 300 > 200 left
  ASSERT_FALSE(b->allowed());
  EXPECT_EQ(b->rejection->reason, RejectReason::kTokenRate);
  EXPECT_EQ(b->rejection->retry_after_seconds, 6);  // 100 missing at 1000/min
  // The first request used 250 tokens, not 800: 550 come back.
  ASSERT_TRUE(a->ticket->Finish(250).ok());
  EXPECT_TRUE(Admit(c, 100, 200)->allowed());
  EXPECT_EQ(
      counters_.Level({TenantCounterKey("acme", "tpm"), 1000, 60 * kSecond}, clock_.WallMicros()),
      450);
}

TEST_F(AdmissionTest, RequestLargerThanTheTokenLimitIsTooLarge) {
  tenant_.limits.tpm = 1000;
  AdmissionController c(clock_, counters_, store_.get());
  StatusOr<Admission> a = Admit(c, 900, 200);
  ASSERT_FALSE(a->allowed());
  EXPECT_EQ(a->rejection->reason, RejectReason::kRequestTooLarge);
  EXPECT_EQ(a->rejection->http_status, 429);
  EXPECT_EQ(a->rejection->retry_after_seconds, 0);
}

TEST_F(AdmissionTest, DefaultMaxOutputIsReservedWhenUnset) {
  tenant_.limits.tpm = 5000;
  AdmissionController c(clock_, counters_, store_.get(), {.default_max_output_tokens = 4096});
  StatusOr<Admission> a = Admit(c, 100, 0);
  ASSERT_TRUE(a->allowed());
  EXPECT_EQ(a->ticket->reserved_tokens(), 4196);
}

TEST_F(AdmissionTest, ConcurrencyIsHeldUntilFinishOrDestruction) {
  tenant_.limits.max_concurrency = 2;
  AdmissionController c(clock_, counters_, store_.get());
  StatusOr<Admission> a = Admit(c, 1, 1);
  StatusOr<Admission> b = Admit(c, 1, 1);
  ASSERT_TRUE(a->allowed() && b->allowed());
  StatusOr<Admission> refused = Admit(c, 1, 1);
  ASSERT_FALSE(refused->allowed());
  EXPECT_EQ(refused->rejection->reason, RejectReason::kConcurrency);
  EXPECT_EQ(refused->rejection->retry_after_seconds, 1);
  ASSERT_TRUE(a->ticket->Finish(2).ok());
  StatusOr<Admission> c3 = Admit(c, 1, 1);
  ASSERT_TRUE(c3->allowed());
  b->ticket.reset();  // an abandoned request frees its slot too
  EXPECT_TRUE(Admit(c, 1, 1)->allowed());
}

TEST_F(AdmissionTest, RateRefusalDoesNotKeepTheConcurrencySlot) {
  tenant_.limits.max_concurrency = 1;
  tenant_.limits.rpm = 1;
  AdmissionController c(clock_, counters_, store_.get());
  StatusOr<Admission> a = Admit(c, 1, 1);
  ASSERT_TRUE(a->allowed());
  ASSERT_TRUE(a->ticket->Finish(2).ok());
  ASSERT_EQ(Admit(c, 1, 1)->rejection->reason, RejectReason::kRequestRate);
  clock_.Advance(60 * kSecond);
  EXPECT_TRUE(Admit(c, 1, 1)->allowed());  // the refused one released its slot
}

TEST_F(AdmissionTest, ResidencyIsEnforced) {
  tenant_.allowed_regions = {"eu-west"};
  AdmissionController c(clock_, counters_, store_.get());
  EXPECT_TRUE(Admit(c, 1, 1, "eu-west")->allowed());
  StatusOr<Admission> us = Admit(c, 1, 1, "us-east");
  ASSERT_FALSE(us->allowed());
  EXPECT_EQ(us->rejection->reason, RejectReason::kRegionNotAllowed);
  EXPECT_EQ(us->rejection->http_status, 403);
  EXPECT_EQ(AdmissionController::AllowedRegions(tenant_), tenant_.allowed_regions);
}

TEST_F(AdmissionTest, TokenBudgetCountsLedgerFinishedAndInFlight) {
  tenant_.limits.token_budget = 1000;
  tenant_.limits.budget_period = BudgetPeriod::kDay;
  const int64_t now = clock_.WallMicros();
  RecordUsage("yesterday", 5000, now - 86'400 * kSecond);  // another period: not counted
  RecordUsage("this-morning", 600, now - 3600 * kSecond);
  AdmissionController c(clock_, counters_, store_.get(), {.budget_refresh_micros = 5 * kSecond});
  EXPECT_EQ(*c.BudgetUsed("acme", BudgetPeriod::kDay), 600);
  StatusOr<Admission> a = Admit(c, 100, 200);  // 600 + 300 <= 1000
  ASSERT_TRUE(a->allowed());
  StatusOr<Admission> b = Admit(c, 50, 100);  // 600 + 300 in flight + 150 > 1000
  ASSERT_FALSE(b->allowed());
  EXPECT_EQ(b->rejection->reason, RejectReason::kTokenBudget);
  EXPECT_EQ(b->rejection->http_status, 429);
  EXPECT_EQ(b->rejection->retry_after_seconds, 12 * 3600);  // until midnight UTC
  // The first request finishes with 120 tokens and its event is recorded.
  RecordUsage("a", 120, now);
  ASSERT_TRUE(a->ticket->Finish(120).ok());
  EXPECT_EQ(*c.BudgetUsed("acme", BudgetPeriod::kDay), 720);  // counted once, not twice
  clock_.Advance(5 * kSecond);                                // re-read from the ledger
  EXPECT_EQ(*c.BudgetUsed("acme", BudgetPeriod::kDay), 720);
  StatusOr<Admission> d = Admit(c, 50, 100);  // stays in flight
  EXPECT_TRUE(d->allowed());
  // Usage recorded by another gateway shows up at the next read.
  RecordUsage("elsewhere", 100, now + 6 * kSecond);
  clock_.Advance(5 * kSecond);
  EXPECT_EQ(*c.BudgetUsed("acme", BudgetPeriod::kDay), 720 + 150 + 100);
  // A new day starts a new budget.
  clock_.Advance(12 * 3600 * kSecond);
  EXPECT_EQ(*c.BudgetUsed("acme", BudgetPeriod::kDay), 150);
}

TEST_F(AdmissionTest, RateRejectionSaysWhenToRetry) {
  tenant_.limits.rpm = 1;
  AdmissionController c(clock_, counters_, store_.get());
  ASSERT_TRUE(Admit(c, 1, 1)->allowed());
  const Rejection r = *Admit(c, 1, 1)->rejection;
  EXPECT_EQ(r.reason, RejectReason::kRequestRate);
  EXPECT_EQ(r.http_status, 429);
  EXPECT_EQ(r.retry_after_seconds, 60);
  EXPECT_NE(r.message.find("try again in 60 s"), std::string::npos);
}

}  // namespace
}  // namespace tokenfab::ledger
