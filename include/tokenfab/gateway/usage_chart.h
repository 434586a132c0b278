// `tokenfab usage --chart`: a self-contained HTML report (a gateway/chart_page: uPlot and the
// chart code built into the binary, the data inline; it opens with no network) with per-hour plots
// of tokens, price charged, energy cost, margin, energy, carbon and green share, and the grouped
// table. Pure.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/gateway/usage_economics.h"

namespace tokenfab::gateway {

// `grouped`: the report's rows as asked for; `hourly`: the same usage grouped by hour only.
std::string UsageChartHtml(const UsageEconomics& grouped, const UsageEconomics& hourly,
                           std::string_view title);

}  // namespace tokenfab::gateway
