// BatchRunner: runs the Batch API's batches inside the gateway. Every line goes through the
// gateway's own path (intake, routing, admission, relay, metering) as an HTTP call to this
// gateway, marked with the process's batch secret so that it is served as flex, billed at the
// batch price, recorded under the batch's tenant and key, and under the request id
// "<batch id>-<line>" (the ledger records an id once: a line run again after a crash is never
// billed twice).
//
// Work: one thread wakes on a change (a new batch, a cancel, a line finished) or every 100 ms and
// takes each unfinished batch a step along the status machine (batch_status.h): validating
// (parse and check the input file, store the lines), in_progress (launch lines into the room the
// valley filler releases: ValleyGate in valley_gate.h, per site in the order cheapest and
// greenest first, each line sent with the site it was released to; BatchConcurrency in
// spare_capacity.h raises a floor over that room as a window runs out), cancelling / expiry
// (wait for lines in flight), then finalizing (write the output and error files) and the final
// status. Which line goes next: deficit round robin over the batches' tenants by tokens
// (tenant_fair_share.h; settled with each answer's usage), round robin over a tenant's batches.
//
// Durability: batch status and every line's outcome are in the ledger database; a line is
// finished (its answer stored) only after the gateway answered it, which is after its usage
// event was durable. After a restart, lines that were in flight are pending and run again.
//
// Thread-safety: Create, Cancel and Get from any thread; every change of a batch record is made
// under mu_ from a fresh read, so the API and the runner never overwrite each other.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

#include "batch_status.h"
#include "gateway_context.h"
#include "tenant_fair_share.h"
#include "tokenfab/ledger/batch_store.h"
#include "tokenfab/net/http_url.h"
#include "valley_filler.h"

namespace tokenfab::gateway {

class BatchRunner : public std::enable_shared_from_this<BatchRunner> {
 public:
  // `self` is this gateway's own base URL (loopback).
  BatchRunner(std::shared_ptr<GatewayContext> context, net::HttpUrl self);
  ~BatchRunner();

  void Start();
  // Stops launching lines (those in flight finish).
  void StopLaunching();
  // Waits up to `grace` for lines in flight to be stored, then joins the thread.
  void Stop(std::chrono::milliseconds grace);
  void Wake();

  // A new batch in `validating` (the API checked its fields and input file).
  [[nodiscard]] Status Create(const ledger::BatchRecord& batch);
  // Moves a validating or in-progress batch to cancelling; a batch already cancelling or
  // cancelled is returned as it is; FailedPrecondition otherwise. NotFound for another tenant's.
  [[nodiscard]] StatusOr<ledger::BatchRecord> Cancel(std::string_view tenant, std::string_view id);

 private:
  struct Running {
    absl::flat_hash_set<int64_t> lines;  // in flight
  };

  void Loop();
  void Step();
  void Validate(ledger::BatchRecord batch);
  // A line to launch: its batch (index into LaunchLines' list) and its estimated tokens.
  struct Next {
    size_t batch = 0;
    ledger::BatchLine line;
    int64_t tokens = 0;
  };
  // Launches lines of the in-progress batches while the fleet has room.
  void LaunchLines(std::vector<ledger::BatchRecord>& batches);
  // The room the valley filler releases now, by site, cheapest first.
  std::vector<SiteRelease> Release(const FleetGeneration& generation);
  // The next pending line (not in flight) of `tenant`'s batches, round robin over them; marks a
  // batch with none exhausted.
  std::optional<Next> PeekTenant(const std::string& tenant,
                                 const std::vector<ledger::BatchRecord>& batches,
                                 std::vector<bool>& exhausted);
  std::optional<ledger::BatchLine> PeekLine(const ledger::BatchRecord& batch);
  // Sends `line` (`site`: where the valley filler released it; "" lets routing choose).
  void LaunchOne(const ledger::BatchRecord& batch, ledger::BatchLine line, int64_t tokens,
                 const std::string& site);
  void OnLineDone(ledger::BatchLine line, std::string tenant, int64_t tokens,
                  StatusOr<net::HttpResponse> response);
  // The last step of a batch whose lines are all done (or that expired or was cancelled).
  void Finish(ledger::BatchRecord batch, BatchStatus final_status);
  // Applies `to` to the stored record (re-read under mu_) and saves it.
  Status Move(const ledger::BatchRecord& batch, BatchStatus to,
              const std::function<void(ledger::BatchRecord&)>& edit = {});
  int64_t InFlight(const std::string& batch_id);
  int64_t NowSeconds() const;

  const std::shared_ptr<GatewayContext> context_;
  ledger::BatchStore& store_;
  const net::HttpUrl self_;
  std::thread thread_;
  absl::Mutex mu_;
  absl::CondVar wake_cv_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool launching_ ABSL_GUARDED_BY(mu_) = true;
  int64_t in_flight_total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, Running> running_ ABSL_GUARDED_BY(mu_);
  absl::Mutex records_mu_;  // one read-modify-write of a batch record at a time
  static constexpr int64_t kFairShareQuantum = 4096;  // tokens per tenant turn
  TenantFairShare fair_share_ ABSL_GUARDED_BY(mu_){kFairShareQuantum};
  // Runner thread only: round robin over each tenant's batches.
  absl::flat_hash_map<std::string, size_t> rotation_;
};

}  // namespace tokenfab::gateway
