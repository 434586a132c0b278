#include "tokenfab/gateway/usage_chart.h"

#include <boost/json.hpp>

#include "tokenfab/gateway/chart_page.h"
#include "tokenfab/gateway/usage_economics_report.h"

namespace tokenfab::gateway {

std::string UsageChartHtml(const UsageEconomics& grouped, const UsageEconomics& hourly,
                           std::string_view title) {
  boost::json::object data = boost::json::parse(FormatUsageEconomicsJson(grouped)).as_object();
  data["hours"] = boost::json::parse(FormatUsageEconomicsJson(hourly));
  boost::json::array group_by;
  for (ledger::UsageDimension d : grouped.group_by) {
    group_by.emplace_back(ledger::UsageDimensionName(d));
  }
  data["group_by"] = std::move(group_by);
  data["title"] = boost::json::string_view(title.data(), title.size());
  const std::string json = boost::json::serialize(data);
  return ChartPageHtml({.title = title,
                        .body_html = "<h1 id=\"title\"></h1>\n<div id=\"charts\" "
                                     "class=\"grid\"></div>\n<h2>By group</h2><div "
                                     "id=\"table\"></div>",
                        .data_json = json,
                        .data_name = "USAGE",
                        .script = "usage_report.js"});
}

}  // namespace tokenfab::gateway
