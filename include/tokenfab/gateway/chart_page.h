// A self-contained HTML page of uPlot charts: the one place that assembles uPlot, the shared
// chart helpers (src/gateway/web/charts.js, window.TF) and their style, all built into the
// binary, with the page's data inline and the page's own drawing script. The page fetches
// nothing from any host, so it opens from a file with no network. Used by `tokenfab usage
// --chart` (gateway/usage_chart) and the twin's `tokenfab sim --html` (sim/sim_html). Pure.
#pragma once

#include <string>
#include <string_view>

namespace tokenfab::gateway {

struct ChartPage {
  std::string_view title;      // the <title>, HTML-escaped here
  std::string_view body_html;  // the page's static markup the script fills in (trusted)
  std::string_view data_json;  // set as window.<data_name> before the script runs
  std::string_view data_name;  // a JavaScript identifier, e.g. "USAGE"
  std::string_view script;     // the name of the built-in drawing script, e.g. "usage_report.js"
};

// REQUIRES: `page.script` names a built-in asset and `page.data_json` is valid JSON. The JSON is
// made safe inside <script> ("<" written as \u003c), so strings in it cannot close the element.
std::string ChartPageHtml(const ChartPage& page);

}  // namespace tokenfab::gateway
