// `tokenfab usage`: usage, cost and the economics of the energy behind it, from the ledger,
// grouped and filtered.
//
//   tokenfab usage --by tenant,day --from 2024-03-01 --to 2024-04-01 --format csv
//   tokenfab usage --by site,tier --fleet fleet.toml --chart usage.html
//
// Energy cost, margin and green share need each site's price and green share: from --fleet, or
// the embedded default's one local site when no fleet file is given (embedded_default.h).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "command.h"
#include "embedded_default.h"
#include "ledger_flags.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/gateway/usage_chart.h"
#include "tokenfab/gateway/usage_economics.h"
#include "tokenfab/gateway/usage_economics_report.h"

namespace tokenfab::cli {
namespace {

struct UsageFlags {
  LedgerFlags ledger;
  std::vector<std::string> by;
  std::string tenant;
  std::string from;
  std::string to;
  std::string format = "table";
  std::string fleet;
  std::string chart;
};

StatusOr<ledger::UsageQuery> BuildQuery(const UsageFlags& flags) {
  ledger::UsageQuery query;
  for (const std::string& list : flags.by) {
    for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      TF_ASSIGN_OR_RETURN(ledger::UsageDimension d,
                          ledger::ParseUsageDimension(std::string_view(name.data(), name.size())));
      query.group_by.push_back(d);
    }
  }
  if (!flags.tenant.empty()) query.tenant = flags.tenant;
  if (!flags.from.empty()) {
    TF_ASSIGN_OR_RETURN(int64_t from, ledger::ParseUtcDate(flags.from));
    query.from_micros = from;
  }
  if (!flags.to.empty()) {
    TF_ASSIGN_OR_RETURN(int64_t to, ledger::ParseUtcDate(flags.to));
    query.to_micros = to;
  }
  return query;
}

Status WriteChart(ledger::Store& store, const ledger::UsageQuery& query,
                  const gateway::UsageEconomics& grouped, std::span<const fleet::Site> sites,
                  const std::string& path) {
  ledger::UsageQuery hourly = query;
  hourly.group_by = {ledger::UsageDimension::kHour};
  TF_ASSIGN_OR_RETURN(gateway::UsageEconomics by_hour,
                      gateway::QueryUsageEconomics(store, hourly, sites, grouped.energy_currency));
  const std::string html = gateway::UsageChartHtml(grouped, by_hour, "tokenfab usage");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << html;
  out.close();
  if (!out) return absl::InvalidArgumentError("cannot write " + path);
  return absl::OkStatus();
}

int RunUsage(const UsageFlags& flags) {
  StatusOr<ledger::UsageQuery> query = BuildQuery(flags);
  if (!query.ok()) return Fail("usage", query.status());
  std::vector<fleet::Site> sites = {EmbeddedSite()};
  std::string currency = kEmbeddedCurrency;
  if (!flags.fleet.empty()) {
    StatusOr<fleet::FleetConfig> config = fleet::LoadFleetConfig(flags.fleet);
    if (!config.ok()) return Fail("usage", config.status());
    sites.assign(config->sites().begin(), config->sites().end());
    currency = config->currency();
  }
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("usage", store.status());
  StatusOr<gateway::UsageEconomics> economics =
      gateway::QueryUsageEconomics(**store, *query, sites, currency);
  if (!economics.ok()) return Fail("usage", economics.status());
  const std::string text = flags.format == "csv" ? gateway::FormatUsageEconomicsCsv(*economics)
                           : flags.format == "json"
                               ? gateway::FormatUsageEconomicsJson(*economics)
                               : gateway::FormatUsageEconomicsTable(*economics);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!flags.chart.empty()) {
    if (Status s = WriteChart(**store, *query, *economics, sites, flags.chart); !s.ok()) {
      return Fail("usage", s);
    }
  }
  return kExitOk;
}

}  // namespace

Command AddUsageCommand(CLI::App& app) {
  auto flags = std::make_shared<UsageFlags>();
  CLI::App* usage = app.add_subcommand(
      "usage", "report usage, cost, energy cost, margin, green share and carbon from the ledger");
  usage
      ->add_option("--by", flags->by,
                   "group by tenant, model, region, site, tier, day and/or hour (comma list)")
      ->delimiter(',');
  usage->add_option("--tenant", flags->tenant, "only this tenant");
  usage->add_option("--from", flags->from, "first day, YYYY-MM-DD (UTC, inclusive)");
  usage->add_option("--to", flags->to, "end day, YYYY-MM-DD (UTC, exclusive)");
  usage->add_option("--format", flags->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  usage
      ->add_option("--fleet", flags->fleet,
                   "fleet file with the sites' energy prices and green shares (default: the "
                   "embedded default's local site)")
      ->check(CLI::ExistingFile);
  usage->add_option("--chart", flags->chart,
                    "also write a self-contained HTML report with plots to this file");
  AddLedgerFlags(usage, flags->ledger);
  return {usage, [flags] { return RunUsage(*flags); }};
}

}  // namespace tokenfab::cli
