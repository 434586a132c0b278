#include "tokenfab/gateway/chart_page.h"

#include "gateway/web_assets.h"
#include "tokenfab/base/check.h"

namespace tokenfab::gateway {
namespace {

// JSON safe inside a <script> element: no "</" can close it.
std::string ScriptSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
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

std::string ChartPageHtml(const ChartPage& page) {
  const std::string_view script = WebAsset(page.script);
  TF_CHECK(!script.empty()) << "no built-in chart script " << page.script;
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<link rel=\"icon\" "
      "href=\"data:,\">\n<title>";
  html += HtmlEscape(page.title);
  html += "</title>\n<style>";
  html += WebAsset("uplot.css");
  html += "\n";
  html += WebAsset("dashboard.css");
  html += "</style>\n</head><body>\n";
  html += page.body_html;
  html += "\n<script>";
  html += WebAsset("uplot.js");
  html += "</script>\n<script>";
  html += WebAsset("charts.js");
  html += "</script>\n<script>window.";
  html += page.data_name;
  html += " = ";
  html += ScriptSafe(page.data_json);
  html += ";</script>\n<script>";
  html += script;
  html += "</script>\n</body></html>\n";
  return html;
}

}  // namespace tokenfab::gateway
