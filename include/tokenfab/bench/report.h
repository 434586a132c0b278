// Report: a benchmark's results as a table for people (stdout) and as JSON for machines.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tokenfab/bench/request_record.h"
#include "tokenfab/bench/stats.h"

namespace tokenfab::bench {

// How the run was set up, as (name, value) lines: shown above the table and kept under
// "config" in the JSON (e.g. {"url", ...}, {"arrivals", "trace timestamps, bursts sent together"}).
using RunDescription = std::vector<std::pair<std::string, std::string>>;

std::string FormatReportTable(const BenchSummary& summary, const RunDescription& description);

// {"config": {...}, "summary": {...}, "metrics": {"ttft_ms": {"mean", "p50", ...}, ...},
//  "errors": {...}, "requests": [...]}; "requests" only when `records` is not null.
std::string FormatReportJson(const BenchSummary& summary, const RunDescription& description,
                             const std::vector<RequestRecord>* records);

}  // namespace tokenfab::bench
