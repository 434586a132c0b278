#include "tokenfab/gateway/usage_economics_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "tokenfab/ledger/money.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

std::vector<std::string> Header(const UsageEconomics& e, bool csv) {
  std::vector<std::string> header;
  for (ledger::UsageDimension d : e.group_by) header.emplace_back(ledger::UsageDimensionName(d));
  for (const char* h : {"currency", "requests", "prompt_tokens", "cached_tokens",
                        "completion_tokens", "total_tokens", "cost"}) {
    header.emplace_back(h);
  }
  header.emplace_back(csv ? "energy_wh" : "energy");
  header.emplace_back(csv ? "energy_cost" : "energy_cost_" + e.energy_currency);
  header.emplace_back("margin");
  header.emplace_back("green_share");
  header.emplace_back(csv ? "carbon_g" : "carbon");
  return header;
}

std::vector<std::string> Cells(const UsageEconomicsRow& row, bool csv) {
  const ledger::UsageRow& u = row.usage;
  std::vector<std::string> cells = u.keys;
  cells.push_back(u.currency);
  cells.push_back(std::to_string(u.requests));
  cells.push_back(std::to_string(u.prompt_tokens));
  cells.push_back(std::to_string(u.cached_tokens));
  cells.push_back(std::to_string(u.completion_tokens));
  cells.push_back(std::to_string(u.prompt_tokens + u.completion_tokens));
  cells.push_back(ledger::FormatMicros(u.cost));
  cells.push_back(csv ? fmt::format("{:.9g}", u.energy_wh) : FormatEnergy(u.energy_wh));
  cells.push_back(csv ? fmt::format("{:.9g}", row.energy_cost)
                      : fmt::format("{:.4g}", row.energy_cost));
  cells.push_back(row.same_currency ? fmt::format("{:.6f}", row.margin()) : "");
  cells.push_back(fmt::format("{:.4f}", row.green_share()));
  cells.push_back(csv ? fmt::format("{:.9g}", u.carbon_g) : fmt::format("{:.4g} g", u.carbon_g));
  return cells;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string FormatEnergy(double wh) {
  const double a = std::fabs(wh);
  if (a == 0) return "0 Wh";
  if (a >= 1000) return fmt::format("{:.3f} kWh", wh / 1000);
  if (a >= 1) return fmt::format("{:.3f} Wh", wh);
  if (a >= 1e-3) return fmt::format("{:.3f} mWh", wh * 1e3);
  return fmt::format("{:.3f} µWh", wh * 1e6);
}

std::string FormatUsageEconomicsTable(const UsageEconomics& economics) {
  std::vector<std::vector<std::string>> table = {Header(economics, false)};
  for (const UsageEconomicsRow& row : economics.rows) table.push_back(Cells(row, false));
  std::vector<size_t> widths(table[0].size(), 0);
  auto width = [](const std::string& s) {  // UTF-8 code points ("µ")
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  };
  for (const auto& line : table) {
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], width(line[i]));
  }
  const size_t keys = economics.group_by.size() + 1;  // text columns (and currency) align left
  std::string out;
  for (const auto& line : table) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      if (i) text += "  ";
      const std::string pad(widths[i] - width(line[i]), ' ');
      text += i < keys ? line[i] + pad : pad + line[i];
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  if (economics.rows.empty()) out += "(no usage)\n";
  return out;
}

std::string FormatUsageEconomicsCsv(const UsageEconomics& economics) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      out += CsvField(cells[i]);
    }
    out += "\r\n";
  };
  line(Header(economics, true));
  for (const UsageEconomicsRow& row : economics.rows) line(Cells(row, true));
  return out;
}

std::string FormatUsageEconomicsJson(const UsageEconomics& economics) {
  json::array rows;
  for (const UsageEconomicsRow& row : economics.rows) {
    const ledger::UsageRow& u = row.usage;
    json::object o;
    for (size_t i = 0; i < economics.group_by.size() && i < u.keys.size(); ++i) {
      o[ledger::UsageDimensionName(economics.group_by[i])] = u.keys[i];
    }
    o["currency"] = u.currency;
    o["requests"] = u.requests;
    o["prompt_tokens"] = u.prompt_tokens;
    o["cached_tokens"] = u.cached_tokens;
    o["completion_tokens"] = u.completion_tokens;
    o["total_tokens"] = u.prompt_tokens + u.completion_tokens;
    o["cost"] = row.charged();
    o["cost_micros"] = u.cost;
    o["energy_wh"] = u.energy_wh;
    o["energy_cost"] = row.energy_cost;
    if (row.same_currency) {
      o["margin"] = row.margin();
    } else {
      o["margin"] = nullptr;
    }
    o["green_share"] = row.green_share();
    o["carbon_g"] = u.carbon_g;
    o["unpriced_energy_wh"] = row.unpriced_wh;
    rows.push_back(std::move(o));
  }
  json::object doc{{"energy_currency", economics.energy_currency}, {"rows", std::move(rows)}};
  return json::serialize(doc) + "\n";
}

}  // namespace tokenfab::gateway
