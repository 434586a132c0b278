#include "tokenfab/ledger/usage_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "tokenfab/ledger/money.h"

namespace tokenfab::ledger {
namespace {

std::vector<std::string> Header(const std::vector<UsageDimension>& group_by) {
  std::vector<std::string> header;
  for (UsageDimension d : group_by) header.emplace_back(UsageDimensionName(d));
  for (const char* h : {"currency", "requests", "prompt_tokens", "cached_tokens",
                        "completion_tokens", "total_tokens", "cost", "energy_wh", "carbon_g"}) {
    header.emplace_back(h);
  }
  return header;
}

std::vector<std::string> Cells(const UsageRow& row) {
  std::vector<std::string> cells = row.keys;
  cells.push_back(row.currency);
  cells.push_back(std::to_string(row.requests));
  cells.push_back(std::to_string(row.prompt_tokens));
  cells.push_back(std::to_string(row.cached_tokens));
  cells.push_back(std::to_string(row.completion_tokens));
  cells.push_back(std::to_string(row.prompt_tokens + row.completion_tokens));
  cells.push_back(FormatMicros(row.cost));
  cells.push_back(fmt::format("{:.3f}", row.energy_wh));
  cells.push_back(fmt::format("{:.3f}", row.carbon_g));
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

std::string FormatUsageTable(const std::vector<UsageDimension>& group_by,
                             const std::vector<UsageRow>& rows) {
  std::vector<std::vector<std::string>> table = {Header(group_by)};
  for (const UsageRow& row : rows) table.push_back(Cells(row));
  std::vector<size_t> widths(table[0].size(), 0);
  for (const auto& line : table) {
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  const size_t keys = group_by.size() + 1;  // text columns (and currency) align left
  std::string out;
  for (const auto& line : table) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      if (i) text += "  ";
      text += i < keys ? fmt::format("{:<{}}", line[i], widths[i])
                       : fmt::format("{:>{}}", line[i], widths[i]);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  if (rows.empty()) out += "(no usage)\n";
  return out;
}

std::string FormatUsageCsv(const std::vector<UsageDimension>& group_by,
                           const std::vector<UsageRow>& rows) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      out += CsvField(cells[i]);
    }
    out += "\r\n";
  };
  line(Header(group_by));
  for (const UsageRow& row : rows) line(Cells(row));
  return out;
}

}  // namespace tokenfab::ledger
