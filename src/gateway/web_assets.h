// The web assets built into the binary (cmake/EmbedAssets.cmake generates the definition from
// src/gateway/web/ and the uPlot package): the operations page, its script and style, the chart
// helpers shared with the reports of gateway/chart_page (`tokenfab usage --chart`, `tokenfab sim
// --html`) and their drawing scripts, and uPlot itself. Immutable; thread-safe.
#pragma once

#include <string_view>

namespace tokenfab::gateway {

// The asset named `name` ("uplot.js", "uplot.css", "charts.js", "dashboard.html",
// "dashboard.js", "dashboard.css", "usage_report.js", "sim_report.js"); empty for an unknown
// name.
std::string_view WebAsset(std::string_view name);

}  // namespace tokenfab::gateway
