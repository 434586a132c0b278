// A self-contained HTML report of one or more simulation runs (one per policy): a summary table,
// latency CDFs (TTFT and TPOT) per tier with one line per policy, and bars comparing policies
// (goodput, SLO attainment, energy cost per million tokens, utilisation per site), and per policy
// each site over time (compute and KV utilisation, waiting requests, tokens/s). The page is
// gateway::ChartPageHtml's: the plots are drawn by the same built-in uPlot and chart code as the
// gateway's operations page and `tokenfab usage --chart` (script sim_report.js), from the data
// inline as window.SIM; nothing is fetched, so the file opens with no network.
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
