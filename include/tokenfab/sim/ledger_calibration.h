// Ledger calibration: `tokenfab sim --calibrate-from LEDGER` fits each upstream's step-time model
// to what production recorded, so the twin tracks the fleet as it is rather than as its
// datasheet says.
//
// The ledger holds, per request: upstream, prompt / cached / completion tokens, TTFT, TPOT and
// its start and finish times. From the requests of one upstream (status "ok", the simulated
// model) the calibration derives what the gateway's online learner (routing::StepModelLearner)
// observes live, and feeds it the same way:
//   - decode: TPOT with `sequences` = 1 + the time-weighted number of the upstream's other
//     requests decoding during this one's decode (from first token to finish);
//   - prefill: TTFT less the site's configured RTT, for `tokens` = its own uncached prompt plus
//     the uncached prompts of the requests still before their first token when it arrived, with
//     the requests then decoding as `sequences`.
// Every request weighs the same (no forgetting: the ledger is a fixed record, not a live
// stream). The fitted model (base, per prefill token, per decode sequence; no K/V term) replaces
// the upstream's roofline or profile in the twin. An upstream with fewer than `min_samples`
// usable requests of either kind keeps its own model, and the report says so.
//
// Fit error: the mean absolute relative error of the fitted model's TTFT and TPOT over the
// requests it was fitted to.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/performance_model.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/ledger/usage_event.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {

struct CalibrationOptions {
  std::string model;         // only requests for this model; "" for every model
  int64_t min_samples = 20;  // usable requests of each kind (TTFT, TPOT) an upstream needs
};

// What the calibration made of one upstream of the fleet. Plain data.
struct UpstreamCalibration {
  std::string upstream;
  int64_t ttft_samples = 0;  // requests usable for the prefill fit
  int64_t tpot_samples = 0;  // requests usable for the decode fit (at least two output tokens)
  bool fitted = false;       // false: too few samples; the upstream keeps its own model
  engine::PerformanceModel model;  // when fitted
  double ttft_error = 0;           // mean |predicted - recorded| / recorded, when fitted
  double tpot_error = 0;
};

struct LedgerCalibration {
  std::string location;  // the ledger read ("" for events given directly)
  std::string model;
  int64_t events = 0;                          // events read (all upstreams, all models)
  std::vector<UpstreamCalibration> upstreams;  // one per fleet upstream, in fleet order
  std::vector<std::string> unknown_upstreams;  // upstreams in the ledger but not the fleet
};

// Fits the fleet's upstreams to `events` (any order). Pure.
LedgerCalibration CalibrateFromEvents(std::span<const ledger::UsageEvent> events,
                                      const fleet::FleetConfig& fleet,
                                      const CalibrationOptions& options);

// Reads every usage event of the ledger at `location` (a SQLite path or a postgresql:// URL)
// and fits them. NotFound for a SQLite path that does not exist (the ledger is never created
// here); the store's error, prefixed with the location, for one that cannot be read.
[[nodiscard]] StatusOr<LedgerCalibration> CalibrateFromLedger(std::string_view location,
                                                              const fleet::FleetConfig& fleet,
                                                              const CalibrationOptions& options);

// Puts the fitted models into `spec->profiles` (by upstream name), where the twin takes them in
// place of the roofline or the fleet file's profile.
void ApplyCalibration(const LedgerCalibration& calibration, SimWorkloadSpec* spec);

// What was fitted, one line per upstream, for a person; an upstream left unfitted says which
// model it keeps (a profile from `spec` or the fleet file, else its roofline). Call it before
// ApplyCalibration.
std::string FormatCalibration(const LedgerCalibration& calibration, const fleet::FleetConfig& fleet,
                              const SimWorkloadSpec& spec, const CalibrationOptions& options);

}  // namespace tokenfab::sim
