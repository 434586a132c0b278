#include "tokenfab/gateway/usage_chart.h"

#include <boost/json.hpp>

#include "gateway/web_assets.h"
#include "tokenfab/gateway/usage_economics_report.h"

namespace tokenfab::gateway {
namespace {

// JSON safe inside a <script> element: no "</" can close it.
std::string ScriptSafe(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') {
      out += "\\u003c";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

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
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<link rel=\"icon\" "
      "href=\"data:,\">\n<title>";
  html += HtmlEscape(title);
  html += "</title>\n<style>";
  html += WebAsset("uplot.css");
  html += "\n";
  html += WebAsset("dashboard.css");
  html +=
      "</style>\n</head><body>\n<h1 id=\"title\"></h1>\n"
      "<div id=\"charts\" class=\"grid\"></div>\n<h2>By group</h2><div id=\"table\"></div>\n"
      "<script>";
  html += WebAsset("uplot.js");
  html += "</script>\n<script>";
  html += WebAsset("charts.js");
  html += "</script>\n<script>window.USAGE = ";
  html += ScriptSafe(boost::json::serialize(data));
  html += ";</script>\n<script>";
  html += WebAsset("usage_report.js");
  html += "</script>\n</body></html>\n";
  return html;
}

}  // namespace tokenfab::gateway
