// AdmissionController: decides whether an authenticated request may start, and keeps the books
// on it until it ends.
//
// Checks, in order: residency (the region must be one the tenant allows: 403), token budget
// (tokens used in the budget period, from the ledger, plus tokens in flight: 429
// insufficient_quota, Retry-After = until the period ends), concurrency (429, a slot frees when a
// request ends), then the RPM and TPM token buckets together (429 rate_limit_exceeded,
// Retry-After = until both buckets could grant the request). TPM and the budget are charged a
// reservation at admission, prompt + max output tokens × choices (n per prompt, each prompt of a
// multi-prompt request), and corrected with the actual usage when the request finishes.
//
// Budgets: the ledger's total for the period is read from the store at most every
// budget_refresh; tokens finished here since the read started are added locally (so nothing is
// missed; an event committed during the read may count twice, which only errs on the safe side),
// as are the reservations of requests in flight on this gateway.
//
// Thread-safety: all methods from any thread. The clock, counters and store must outlive the
// controller, and the controller every ticket it issued.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/ledger/rate_counters.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/tenant.h"

namespace tokenfab::ledger {

enum class RejectReason {
  kRegionNotAllowed,
  kTokenBudget,
  kConcurrency,
  kRequestRate,
  kTokenRate,
  kRequestTooLarge,  // asks for more tokens than the TPM limit: can never be admitted
};
std::string_view RejectReasonName(RejectReason reason);

// A refusal, as a typed decision: why, the HTTP status it calls for, when to retry and a message
// for the client. The ledger writes no wire format: the gateway turns it into the API's error.
struct Rejection {
  RejectReason reason;
  int http_status = 429;            // 403 (region) or 429 (every limit)
  int64_t retry_after_seconds = 0;  // the Retry-After header; 0: omit it
  std::string message;              // for people: names the limit and the figures
};

struct AdmissionOptions {
  int64_t default_max_output_tokens = 4096;
  int64_t budget_refresh_micros = 5'000'000;
};

struct AdmissionRequest {
  const Tenant* tenant = nullptr;  // REQUIRES: non-null
  const Tier* tier = nullptr;      // REQUIRES: non-null
  std::string region;              // where it would be served; empty: not yet chosen
  int64_t prompt_tokens = 0;
  // Per choice; <= 0: AdmissionOptions::default_max_output_tokens, capped at the tier's
  // max_tokens. The caller refuses a request above the tier's cap before admission.
  int64_t max_output_tokens = 0;
  int64_t choices = 1;  // choices the answer may hold (n × prompts); < 1 counts as 1
};

inline constexpr int64_t kMaxReservation = int64_t{1} << 62;
// The tokens a request reserves: prompt_tokens + max output × choices, saturating at
// kMaxReservation.
int64_t ReservedTokens(const AdmissionRequest& request, const AdmissionOptions& options);

class AdmissionController;

// An admitted request. Move-only. Finish() it with the actual usage once its usage event is
// durable (or it ended without one); a ticket destroyed unfinished is finished with its
// reservation (no correction).
class AdmissionTicket {
 public:
  AdmissionTicket(AdmissionTicket&& other) noexcept;
  AdmissionTicket& operator=(AdmissionTicket&& other) noexcept;
  AdmissionTicket(const AdmissionTicket&) = delete;
  AdmissionTicket& operator=(const AdmissionTicket&) = delete;
  ~AdmissionTicket();

  // Corrects TPM and the budget with the actual tokens (prompt + completion) and frees the
  // concurrency slot. Idempotent: only the first call counts.
  [[nodiscard]] Status Finish(int64_t actual_tokens);

  const std::string& tenant() const { return tenant_; }
  int32_t priority() const { return priority_; }  // the tier's, passed to the node
  int64_t reserved_tokens() const { return reserved_tokens_; }

 private:
  friend class AdmissionController;
  AdmissionTicket() = default;

  AdmissionController* controller_ = nullptr;  // null once finished or moved from
  std::string tenant_;
  int32_t priority_ = 0;
  int64_t reserved_tokens_ = 0;
  std::optional<BucketSpec> tpm_bucket_;
  std::string slot_key_;  // empty: no concurrency limit
  std::string lease_id_;
  bool in_budget_ = false;  // counted in the tenant's in-flight budget
};

// The outcome of Admit(): a ticket, or a rejection.
struct Admission {
  std::optional<AdmissionTicket> ticket;
  std::optional<Rejection> rejection;
  bool allowed() const { return ticket.has_value(); }
};

class AdmissionController {
 public:
  // `store` may be null: token budgets are then not enforced.
  AdmissionController(base::Clock& clock, RateCounters& counters, Store* store,
                      AdmissionOptions options = {});

  // Errors only when the counters or the store fail (the gateway decides to fail open or
  // closed); a refusal is an Admission with a rejection.
  [[nodiscard]] StatusOr<Admission> Admit(const AdmissionRequest& request) ABSL_LOCKS_EXCLUDED(mu_);

  // The regions the tenant may be served in (empty: all), for the router's filter.
  static const std::vector<std::string>& AllowedRegions(const Tenant& tenant) {
    return tenant.allowed_regions;
  }

  // Tokens counted against the tenant's budget now (ledger + finished here + in flight).
  [[nodiscard]] StatusOr<int64_t> BudgetUsed(const std::string& tenant, BudgetPeriod period);

 private:
  friend class AdmissionTicket;

  struct BudgetState {
    int64_t period_start = -1;       // the period base_ belongs to
    int64_t base = 0;                // the ledger's total when last read
    int64_t finished_at_read = 0;    // `finished` when that read started
    int64_t finished = 0;            // tokens of requests finished here, ever
    int64_t in_flight = 0;           // reservations of admitted, unfinished requests
    int64_t read_micros = INT64_MIN;  // monotonic time of the last read
  };

  // The steps of Admit(), in order. Each returns a rejection, or nullopt to go on; errors only
  // when the counters or the store fail.
  std::optional<Rejection> CheckRegion(const AdmissionRequest& request) const;
  StatusOr<std::optional<Rejection>> CheckBudget(const Tenant& tenant, const Limits& limits,
                                                 int64_t reserve, int64_t wall);
  StatusOr<std::optional<Rejection>> AcquireSlot(const Tenant& tenant, const Limits& limits,
                                                 int64_t wall, AdmissionTicket& ticket);
  StatusOr<std::optional<Rejection>> TakeRates(const Tenant& tenant, const Limits& limits,
                                               int64_t reserve, int64_t wall,
                                               AdmissionTicket& ticket);

  Status Release(AdmissionTicket& ticket, std::optional<int64_t> actual_tokens)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Refreshes the ledger total when stale; returns used tokens. Takes mu_ itself.
  StatusOr<int64_t> RefreshBudget(const std::string& tenant, const PeriodBounds& period);

  base::Clock& clock_;
  RateCounters& counters_;
  Store* const store_;
  const AdmissionOptions options_;

  absl::Mutex mu_;
  std::unordered_map<std::string, BudgetState> budgets_ ABSL_GUARDED_BY(mu_);  // by tenant
  std::string instance_id_;  // random, names this controller's concurrency leases
  uint64_t next_lease_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tokenfab::ledger
