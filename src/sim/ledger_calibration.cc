#include "tokenfab/sim/ledger_calibration.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "tokenfab/ledger/store.h"
#include "tokenfab/routing/step_model_learner.h"

namespace tokenfab::sim {
namespace {

// One request of an upstream, in µs, as the features need it.
struct Span {
  int64_t start = 0;
  int64_t first = 0;   // first token: start + TTFT
  int64_t finish = 0;  // last token
  int64_t uncached = 0;
  bool decodes = false;  // at least two output tokens, so a decode window and a TPOT
  double ttft_ms = 0;
  double tpot_ms = 0;
};

// What the learner observes for one request.
struct Features {
  double prefill_tokens = 0;
  double prefill_sequences = 0;  // requests decoding when it arrived
  double decode_sequences = 1;   // itself plus the time-weighted others decoding alongside
};

bool Usable(const ledger::UsageEvent& e, const CalibrationOptions& options) {
  return e.status == "ok" && (options.model.empty() || e.model == options.model) &&
         e.ttft_micros > 0 && e.prompt_tokens > e.cached_tokens &&
         e.finished_micros >= e.started_micros + e.ttft_micros;
}

// `spans` sorted by start. O(n x the requests started within the longest one's duration).
std::vector<Features> Derive(const std::vector<Span>& spans) {
  int64_t longest = 0;
  for (const Span& s : spans) longest = std::max(longest, s.finish - s.start);
  std::vector<Features> out(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    const Span& me = spans[i];
    Features& f = out[i];
    f.prefill_tokens = static_cast<double>(me.uncached);
    const double decode_len = static_cast<double>(me.finish - me.first);
    double overlap_us = 0;
    // Requests that may overlap: started no earlier than `longest` before it, and before it ends.
    size_t lo = i;
    while (lo > 0 && spans[lo - 1].start >= me.start - longest) --lo;
    for (size_t j = lo; j < spans.size() && spans[j].start <= me.finish; ++j) {
      if (j == i) continue;
      const Span& o = spans[j];
      // Still before its first token when this one arrived: ahead of it in the prefill queue.
      if (o.start <= me.start && o.first > me.start) {
        f.prefill_tokens += static_cast<double>(o.uncached);
      }
      if (!o.decodes) continue;
      if (o.first <= me.start && o.finish > me.start) f.prefill_sequences += 1;
      if (me.decodes && decode_len > 0) {
        const int64_t from = std::max(me.first, o.first);
        const int64_t to = std::min(me.finish, o.finish);
        if (to > from) overlap_us += static_cast<double>(to - from);
      }
    }
    if (me.decodes && decode_len > 0) f.decode_sequences = 1 + overlap_us / decode_len;
  }
  return out;
}

// Fits one upstream's requests; `rtt_ms` is its site's configured round trip.
UpstreamCalibration FitUpstream(const fleet::Upstream& up, std::vector<Span> spans, double rtt_ms,
                                const CalibrationOptions& options) {
  UpstreamCalibration result;
  result.upstream = up.name;
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.start < b.start; });
  const std::vector<Features> features = Derive(spans);
  routing::StepModelLearner learner(/*forgetting=*/1.0);
  for (size_t i = 0; i < spans.size(); ++i) {
    learner.ObserveTtft(spans[i].ttft_ms - rtt_ms, features[i].prefill_tokens,
                        features[i].prefill_sequences);
    if (spans[i].decodes) learner.ObserveTpot(spans[i].tpot_ms, features[i].decode_sequences);
  }
  result.ttft_samples = learner.ttft_observations();
  result.tpot_samples = learner.tpot_observations();
  const fleet::StepModel fitted = learner.Model(std::max<int64_t>(options.min_samples, 1));
  if (!fitted.known()) return result;
  result.fitted = true;
  result.model.base_us = fitted.base_us;
  result.model.per_prefill_token_us = fitted.prefill_token_us;
  result.model.per_decode_sequence_us = fitted.decode_sequence_us;
  double ttft_error = 0;
  double tpot_error = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    const Features& f = features[i];
    const double ttft_us = rtt_ms * 1000.0 + fitted.StepMicros(0, f.prefill_sequences, 0) +
                           fitted.prefill_token_us * f.prefill_tokens;
    ttft_error += std::abs(ttft_us / 1000.0 - spans[i].ttft_ms) / spans[i].ttft_ms;
    if (spans[i].decodes) {
      const double tpot_us = fitted.StepMicros(0, f.decode_sequences, 0);
      tpot_error += std::abs(tpot_us / 1000.0 - spans[i].tpot_ms) / spans[i].tpot_ms;
    }
  }
  result.ttft_error = ttft_error / static_cast<double>(result.ttft_samples);
  result.tpot_error = tpot_error / static_cast<double>(result.tpot_samples);
  return result;
}

}  // namespace

namespace {

// Gathers the usable requests of each fleet upstream, one event at a time (a ledger may hold
// millions: only the few figures the features need are kept), then fits them.
class Collector {
 public:
  Collector(const fleet::FleetConfig& fleet, const CalibrationOptions& options)
      : fleet_(fleet), options_(options) {}

  void Add(const ledger::UsageEvent& e) {
    ++events_;
    if (!fleet_.FindUpstream(e.upstream)) {
      unknown_.insert(e.upstream);
      return;
    }
    if (!Usable(e, options_)) return;
    Span s;
    s.start = e.started_micros;
    s.first = e.started_micros + e.ttft_micros;
    s.finish = e.finished_micros;
    s.uncached = e.prompt_tokens - e.cached_tokens;
    s.decodes = e.completion_tokens >= 2 && e.tpot_micros > 0 && s.finish > s.first;
    s.ttft_ms = static_cast<double>(e.ttft_micros) / 1000.0;
    s.tpot_ms = static_cast<double>(e.tpot_micros) / 1000.0;
    by_upstream_[e.upstream].push_back(s);
  }

  LedgerCalibration Finish() {
    LedgerCalibration out;
    out.model = options_.model;
    out.events = events_;
    out.unknown_upstreams.assign(unknown_.begin(), unknown_.end());
    for (const fleet::Upstream& up : fleet_.upstreams()) {
      auto it = by_upstream_.find(up.name);
      std::vector<Span> spans;
      if (it != by_upstream_.end()) spans = std::move(it->second);
      out.upstreams.push_back(
          FitUpstream(up, std::move(spans), fleet_.SiteOf(up).network.rtt_ms, options_));
    }
    return out;
  }

 private:
  const fleet::FleetConfig& fleet_;
  const CalibrationOptions& options_;
  int64_t events_ = 0;
  std::map<std::string, std::vector<Span>, std::less<>> by_upstream_;
  std::set<std::string> unknown_;
};

}  // namespace

LedgerCalibration CalibrateFromEvents(std::span<const ledger::UsageEvent> events,
                                      const fleet::FleetConfig& fleet,
                                      const CalibrationOptions& options) {
  Collector collector(fleet, options);
  for (const ledger::UsageEvent& e : events) collector.Add(e);
  return collector.Finish();
}

StatusOr<LedgerCalibration> CalibrateFromLedger(std::string_view location,
                                                const fleet::FleetConfig& fleet,
                                                const CalibrationOptions& options) {
  const std::string where(location);
  if (!ledger::IsPostgresLocation(location)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(where, ec)) {
      return absl::NotFoundError(fmt::format("ledger '{}': no such file", where));
    }
  }
  StatusOr<std::unique_ptr<ledger::Store>> store = ledger::OpenStore(location);
  if (!store.ok()) {
    return absl::Status(store.status().code(), fmt::format("ledger '{}': cannot open: {}", where,
                                                           store.status().message()));
  }
  Collector collector(fleet, options);
  const Status scanned = (*store)->ScanUsage(
      INT64_MIN, INT64_MAX, [&](const ledger::UsageEvent& e) { collector.Add(e); });
  if (!scanned.ok()) {
    return absl::Status(scanned.code(), fmt::format("ledger '{}': cannot read usage events: {}",
                                                    where, scanned.message()));
  }
  LedgerCalibration out = collector.Finish();
  out.location = where;
  return out;
}

void ApplyCalibration(const LedgerCalibration& calibration, SimWorkloadSpec* spec) {
  for (const UpstreamCalibration& u : calibration.upstreams) {
    if (u.fitted) spec->profiles[u.upstream] = u.model;
  }
}

std::string FormatCalibration(const LedgerCalibration& calibration, const fleet::FleetConfig& fleet,
                              const SimWorkloadSpec& spec, const CalibrationOptions& options) {
  std::string out = fmt::format(
      "calibration from {}: {} usage events{}\n",
      calibration.location.empty() ? "usage events" : "ledger " + calibration.location,
      calibration.events, options.model.empty() ? "" : fmt::format(", model {}", options.model));
  for (const UpstreamCalibration& u : calibration.upstreams) {
    if (u.fitted) {
      out += fmt::format(
          "  {}: {} TTFT / {} TPOT samples; fitted base {:.0f} us + {:.3f} us per prefill token + "
          "{:.1f} us per decode sequence; fit error TTFT {:.1f} %, TPOT {:.1f} %\n",
          u.upstream, u.ttft_samples, u.tpot_samples, u.model.base_us, u.model.per_prefill_token_us,
          u.model.per_decode_sequence_us, 100 * u.ttft_error, 100 * u.tpot_error);
      continue;
    }
    const auto index = fleet.FindUpstream(u.upstream);
    const bool has_profile =
        spec.profiles.contains(u.upstream) || (index && !fleet.upstreams()[*index].profile.empty());
    out += fmt::format("  {}: {} TTFT / {} TPOT samples, fewer than {}: keeps its {}\n", u.upstream,
                       u.ttft_samples, u.tpot_samples, options.min_samples,
                       has_profile ? "measured profile" : "roofline");
  }
  for (const std::string& name : calibration.unknown_upstreams) {
    out += fmt::format("  {}: in the ledger but not in the fleet: ignored\n", name);
  }
  return out;
}

}  // namespace tokenfab::sim
