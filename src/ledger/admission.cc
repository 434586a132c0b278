#include "tokenfab/ledger/admission.h"

#include <algorithm>

#include <fmt/format.h>

#include <unistd.h>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"
#include "tokenfab/base/random.h"
#include "tokenfab/ledger/api_key.h"

namespace tokenfab::ledger {
namespace {

int64_t CeilSeconds(int64_t micros) { return std::max<int64_t>(1, (micros + 999'999) / 1'000'000); }

}  // namespace

int64_t ReservedTokens(const AdmissionRequest& request, const AdmissionOptions& options) {
  int64_t per_choice = request.max_output_tokens;
  if (per_choice <= 0) {
    per_choice = options.default_max_output_tokens;
    if (request.tier != nullptr && request.tier->max_tokens) {
      per_choice = std::min(per_choice, *request.tier->max_tokens);
    }
  }
  const int64_t choices = std::max<int64_t>(request.choices, 1);
  const int64_t prompt = std::clamp<int64_t>(request.prompt_tokens, 0, kMaxReservation);
  per_choice = std::clamp<int64_t>(per_choice, 0, kMaxReservation);
  if (per_choice > 0 && choices > (kMaxReservation - prompt) / per_choice) return kMaxReservation;
  return prompt + per_choice * choices;
}

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kRegionNotAllowed:
      return "region_not_allowed";
    case RejectReason::kTokenBudget:
      return "token_budget";
    case RejectReason::kConcurrency:
      return "concurrency";
    case RejectReason::kRequestRate:
      return "request_rate";
    case RejectReason::kTokenRate:
      return "token_rate";
    case RejectReason::kRequestTooLarge:
      return "request_too_large";
  }
  return "unknown";
}

AdmissionTicket::AdmissionTicket(AdmissionTicket&& other) noexcept { *this = std::move(other); }

AdmissionTicket& AdmissionTicket::operator=(AdmissionTicket&& other) noexcept {
  if (this != &other) {
    if (controller_) (void)controller_->Release(*this, std::nullopt);
    controller_ = std::exchange(other.controller_, nullptr);
    tenant_ = std::move(other.tenant_);
    priority_ = other.priority_;
    reserved_tokens_ = other.reserved_tokens_;
    tpm_bucket_ = std::move(other.tpm_bucket_);
    slot_key_ = std::move(other.slot_key_);
    lease_id_ = std::move(other.lease_id_);
    in_budget_ = other.in_budget_;
  }
  return *this;
}

AdmissionTicket::~AdmissionTicket() {
  if (controller_) (void)controller_->Release(*this, std::nullopt);
}

Status AdmissionTicket::Finish(int64_t actual_tokens) {
  if (!controller_) return absl::OkStatus();
  return controller_->Release(*this, actual_tokens);
}

AdmissionController::AdmissionController(base::Clock& clock, RateCounters& counters, Store* store,
                                         AdmissionOptions options)
    : clock_(clock), counters_(counters), store_(store), options_(options) {
  // Lease ids must be unique across every gateway sharing the counters.
  uint8_t nonce[12];
  if (!SecureRandomBytes(nonce).ok()) {
    base::Random random(static_cast<uint64_t>(clock.WallMicros()) ^
                        static_cast<uint64_t>(getpid()));
    for (uint8_t& b : nonce) b = static_cast<uint8_t>(random.NextU64());
  }
  for (uint8_t b : nonce) instance_id_ += fmt::format("{:02x}", b);
}

StatusOr<int64_t> AdmissionController::RefreshBudget(const std::string& tenant,
                                                     const PeriodBounds& period) {
  const int64_t now = clock_.NowMicros();
  int64_t finished_before_read;
  {
    absl::MutexLock lock(&mu_);
    BudgetState& s = budgets_[tenant];
    const bool fresh = s.period_start == period.start_micros &&
                       now - s.read_micros < options_.budget_refresh_micros;
    if (fresh) return s.base + (s.finished - s.finished_at_read) + s.in_flight;
    finished_before_read = s.finished;
  }
  // Read without holding the lock; everything finished before this point is committed, so it
  // is in `total`.
  TF_ASSIGN_OR_RETURN(int64_t total,
                      store_->TenantTokens(tenant, period.start_micros, period.end_micros));
  absl::MutexLock lock(&mu_);
  BudgetState& s = budgets_[tenant];
  s.period_start = period.start_micros;
  s.base = total;
  s.finished_at_read = finished_before_read;
  s.read_micros = now;
  return s.base + (s.finished - s.finished_at_read) + s.in_flight;
}

StatusOr<int64_t> AdmissionController::BudgetUsed(const std::string& tenant, BudgetPeriod period) {
  if (!store_) return absl::FailedPreconditionError("no ledger: budgets are not tracked");
  return RefreshBudget(tenant, BudgetPeriodBounds(period, clock_.WallMicros()));
}

StatusOr<Admission> AdmissionController::Admit(const AdmissionRequest& request) {
  TF_CHECK(request.tenant != nullptr && request.tier != nullptr);
  const Tenant& tenant = *request.tenant;
  const Limits limits = EffectiveLimits(*request.tier, tenant);
  const int64_t reserve = ReservedTokens(request, options_);
  const int64_t wall = clock_.WallMicros();
  Admission out;
  out.rejection = CheckRegion(request);
  if (out.rejection) return out;
  TF_ASSIGN_OR_RETURN(out.rejection, CheckBudget(tenant, limits, reserve, wall));
  if (out.rejection) return out;

  AdmissionTicket ticket;
  ticket.tenant_ = tenant.name;
  ticket.priority_ = request.tier->priority;
  ticket.reserved_tokens_ = reserve;
  TF_ASSIGN_OR_RETURN(out.rejection, AcquireSlot(tenant, limits, wall, ticket));
  if (out.rejection) return out;
  TF_ASSIGN_OR_RETURN(out.rejection, TakeRates(tenant, limits, reserve, wall, ticket));
  if (out.rejection) return out;

  if (limits.token_budget && store_) {
    absl::MutexLock lock(&mu_);
    budgets_[tenant.name].in_flight += reserve;
    ticket.in_budget_ = true;
  }
  ticket.controller_ = this;
  out.ticket = std::move(ticket);
  return out;
}

std::optional<Rejection> AdmissionController::CheckRegion(const AdmissionRequest& request) const {
  const Tenant& tenant = *request.tenant;
  if (request.region.empty() || tenant.AllowsRegion(request.region)) return std::nullopt;
  return Rejection{
      RejectReason::kRegionNotAllowed, 403, 0,
      fmt::format("Tenant '{}' may not be served in region '{}'.", tenant.name, request.region)};
}

StatusOr<std::optional<Rejection>> AdmissionController::CheckBudget(const Tenant& tenant,
                                                                    const Limits& limits,
                                                                    int64_t reserve, int64_t wall) {
  if (!limits.token_budget || !store_) return std::nullopt;
  const PeriodBounds period = BudgetPeriodBounds(*limits.budget_period, wall);
  TF_ASSIGN_OR_RETURN(int64_t used, RefreshBudget(tenant.name, period));
  if (used + reserve <= *limits.token_budget) return std::nullopt;
  return Rejection{
      RejectReason::kTokenBudget, 429, CeilSeconds(period.end_micros - wall),
      fmt::format("You exceeded your token budget of {} tokens per {} ({} used or "
                  "in flight, {} requested).",
                  *limits.token_budget, BudgetPeriodName(*limits.budget_period), used, reserve)};
}

StatusOr<std::optional<Rejection>> AdmissionController::AcquireSlot(const Tenant& tenant,
                                                                    const Limits& limits,
                                                                    int64_t wall,
                                                                    AdmissionTicket& ticket) {
  if (!limits.max_concurrency) return std::nullopt;
  {
    absl::MutexLock lock(&mu_);
    ticket.lease_id_ = fmt::format("{}-{}", instance_id_, next_lease_++);
  }
  const std::string key = TenantCounterKey(tenant.name, "conc");
  TF_ASSIGN_OR_RETURN(bool acquired,
                      counters_.AcquireSlot(key, *limits.max_concurrency, ticket.lease_id_, wall));
  if (!acquired) {
    return Rejection{
        RejectReason::kConcurrency, 429, 1,
        fmt::format("Too many concurrent requests: the limit is {}.", *limits.max_concurrency)};
  }
  ticket.slot_key_ = key;
  return std::nullopt;
}

StatusOr<std::optional<Rejection>> AdmissionController::TakeRates(const Tenant& tenant,
                                                                  const Limits& limits,
                                                                  int64_t reserve, int64_t wall,
                                                                  AdmissionTicket& ticket) {
  std::vector<BucketTake> takes;
  if (limits.rpm) {
    takes.push_back({{TenantCounterKey(tenant.name, "rpm"), *limits.rpm, 60'000'000}, 1});
  }
  if (limits.tpm) {
    ticket.tpm_bucket_ = BucketSpec{TenantCounterKey(tenant.name, "tpm"), *limits.tpm, 60'000'000};
    takes.push_back({*ticket.tpm_bucket_, reserve});
  }
  StatusOr<TakeResult> taken =
      takes.empty() ? StatusOr<TakeResult>(TakeResult{true, 0}) : counters_.TryTake(takes, wall);
  if (taken.ok() && taken->taken) return std::nullopt;
  if (!ticket.slot_key_.empty()) (void)counters_.ReleaseSlot(ticket.slot_key_, ticket.lease_id_);
  TF_RETURN_IF_ERROR(taken.status());
  if (taken->retry_after_micros < 0) {
    return Rejection{RejectReason::kRequestTooLarge, 429, 0,
                     fmt::format("Request too large: {} tokens requested, the limit is {} tokens "
                                 "per minute.",
                                 reserve, limits.tpm.value_or(0))};
  }
  const bool tokens =
      taken->limiting >= 0 && ticket.tpm_bucket_ &&
      takes[static_cast<size_t>(taken->limiting)].bucket.key == ticket.tpm_bucket_->key;
  const int64_t retry_after = CeilSeconds(taken->retry_after_micros);
  return Rejection{
      tokens ? RejectReason::kTokenRate : RejectReason::kRequestRate, 429, retry_after,
      fmt::format("Rate limit reached for tenant '{}': {} requests and {} tokens "
                  "per minute. Please try again in {} s.",
                  tenant.name, limits.rpm ? std::to_string(*limits.rpm) : "unlimited",
                  limits.tpm ? std::to_string(*limits.tpm) : "unlimited", retry_after)};
}

Status AdmissionController::Release(AdmissionTicket& ticket, std::optional<int64_t> actual_tokens) {
  ticket.controller_ = nullptr;
  const int64_t wall = clock_.WallMicros();
  const int64_t used = actual_tokens.value_or(ticket.reserved_tokens_);
  Status status;
  if (!ticket.slot_key_.empty())
    status.Update(counters_.ReleaseSlot(ticket.slot_key_, ticket.lease_id_));
  if (ticket.tpm_bucket_ && used != ticket.reserved_tokens_) {
    status.Update(counters_.Adjust(*ticket.tpm_bucket_, used - ticket.reserved_tokens_, wall));
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = budgets_.find(ticket.tenant_);
    if (it != budgets_.end()) {
      if (ticket.in_budget_) it->second.in_flight -= ticket.reserved_tokens_;
      it->second.finished += used;
    }
  }
  return status;
}

}  // namespace tokenfab::ledger
