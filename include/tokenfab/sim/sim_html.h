// A self-contained HTML report of one or more simulation runs (one per policy): a summary table,
// latency CDFs (TTFT and TPOT) per tier with one line per policy, and bars comparing policies
// (goodput, SLO attainment, energy cost per million tokens, utilisation per site), and per policy
// each site over time (compute and KV utilisation, waiting requests, tokens/s). Plots are
// inline SVG; no script, style sheet or font is fetched, so the file opens with no network.
#pragma once

#include <string>
#include <vector>

#include "tokenfab/sim/sim_report.h"
#include "tokenfab/sim/simulation.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {

// REQUIRES: reports.size() == results.size() (report i summarises result i).
std::string FormatHtml(const std::vector<PolicyReport>& reports,
                       const std::vector<SimResult>& results, const SimWorkloadSpec& spec);

}  // namespace tokenfab::sim
