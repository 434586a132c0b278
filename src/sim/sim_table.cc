// FormatTable (sim_report.h): the side-by-side table, one column per policy.
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tokenfab/sim/sim_report.h"

namespace tokenfab::sim {
namespace {

using Cell = std::function<std::string(const PolicyReport&)>;

void Row(std::string& out, const std::string& label, const std::vector<PolicyReport>& reports,
         const Cell& cell) {
  out += fmt::format("{:<34}", label);
  for (const PolicyReport& r : reports) out += fmt::format(" {:>22}", cell(r));
  out += "\n";
}

std::string Triple(const Percentiles& p) {
  return fmt::format("{:.1f}/{:.1f}/{:.1f}", p.p50, p.p90, p.p99);
}

}  // namespace

std::string FormatTable(const std::vector<PolicyReport>& reports) {
  std::string out;
  if (reports.empty()) return out;
  Row(out, "policy", reports, [](const PolicyReport& r) {
    return r.policy.size() > 22 ? r.policy.substr(0, 21) + "~" : r.policy;
  });
  Row(out, "requests (completed)", reports, [](const PolicyReport& r) {
    return fmt::format("{} ({})", r.all.requests, r.all.completed);
  });
  Row(out, "TTFT ms p50/p90/p99", reports,
      [](const PolicyReport& r) { return Triple(r.all.ttft_ms); });
  Row(out, "TPOT ms p50/p90/p99", reports,
      [](const PolicyReport& r) { return Triple(r.all.tpot_ms); });
  Row(out, "E2E ms p50/p90/p99", reports,
      [](const PolicyReport& r) { return Triple(r.all.e2e_ms); });
  Row(out, "goodput req/s", reports,
      [](const PolicyReport& r) { return fmt::format("{:.3f}", r.all.goodput_rps); });
  Row(out, "SLO attainment", reports,
      [](const PolicyReport& r) { return fmt::format("{:.4f}", r.all.slo_attainment); });
  for (size_t t = 0; t < reports[0].tiers.size(); ++t) {
    const std::string& name = reports[0].tiers[t].tier;
    Row(out, fmt::format("  {} TTFT p90 / TPOT p90", name), reports, [t](const PolicyReport& r) {
      return fmt::format("{:.1f} / {:.1f}", r.tiers[t].ttft_ms.p90, r.tiers[t].tpot_ms.p90);
    });
    Row(out, fmt::format("  {} attainment / goodput", name), reports, [t](const PolicyReport& r) {
      return fmt::format("{:.4f} / {:.3f}", r.tiers[t].slo_attainment, r.tiers[t].goodput_rps);
    });
    Row(out, fmt::format("  {} energy cost / M tokens", name), reports, [t](const PolicyReport& r) {
      return fmt::format("{:.5f}", r.tiers[t].energy_cost_per_mtok);
    });
    if (reports[0].tiers[t].within_window >= 0) {
      Row(out, fmt::format("  {} within window", name), reports, [t](const PolicyReport& r) {
        return fmt::format("{} / {}", r.tiers[t].within_window, r.tiers[t].requests);
      });
    }
  }
  for (size_t s = 0; s < reports[0].sites.size(); ++s) {
    Row(out, fmt::format("  {} util compute/kv", reports[0].sites[s].site), reports,
        [s](const PolicyReport& r) {
          return fmt::format("{:.3f} / {:.3f}", r.sites[s].compute_utilisation,
                             r.sites[s].kv_utilisation);
        });
    Row(out, fmt::format("  {} tokens/s", reports[0].sites[s].site), reports,
        [s](const PolicyReport& r) { return fmt::format("{:.0f}", r.sites[s].tokens_per_s); });
  }
  Row(out, "tokens/s (prompt+completion)", reports,
      [](const PolicyReport& r) { return fmt::format("{:.0f}", r.tokens_per_s); });
  Row(out, "facility kWh", reports,
      [](const PolicyReport& r) { return fmt::format("{:.3f}", r.kwh); });
  Row(out, "energy cost", reports,
      [](const PolicyReport& r) { return fmt::format("{:.4f} {}", r.energy_cost, r.currency); });
  Row(out, "gCO2", reports, [](const PolicyReport& r) { return fmt::format("{:.0f}", r.co2_g); });
  Row(out, "energy cost / M tokens", reports, [](const PolicyReport& r) {
    return fmt::format("{:.5f} {}", r.energy_cost_per_mtok, r.currency);
  });
  Row(out, "events (wall s)", reports,
      [](const PolicyReport& r) { return fmt::format("{} ({:.2f})", r.events, r.wall_s); });
  return out;
}

}  // namespace tokenfab::sim
