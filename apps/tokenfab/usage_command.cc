// `tokenfab usage`: usage and cost from the ledger, grouped and filtered.
//
//   tokenfab usage --by tenant,day --from 2024-03-01 --to 2024-04-01 --format csv
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "command.h"
#include "ledger_flags.h"
#include "tokenfab/ledger/usage_report.h"

namespace tokenfab::cli {
namespace {

struct UsageFlags {
  LedgerFlags ledger;
  std::vector<std::string> by;
  std::string tenant;
  std::string from;
  std::string to;
  std::string format = "table";
};

int RunUsage(const UsageFlags& flags) {
  ledger::UsageQuery query;
  for (const std::string& list : flags.by) {
    for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      StatusOr<ledger::UsageDimension> d =
          ledger::ParseUsageDimension(std::string_view(name.data(), name.size()));
      if (!d.ok()) return Fail("usage", d.status());
      query.group_by.push_back(*d);
    }
  }
  if (!flags.tenant.empty()) query.tenant = flags.tenant;
  if (!flags.from.empty()) {
    StatusOr<int64_t> from = ledger::ParseUtcDate(flags.from);
    if (!from.ok()) return Fail("usage", from.status());
    query.from_micros = *from;
  }
  if (!flags.to.empty()) {
    StatusOr<int64_t> to = ledger::ParseUtcDate(flags.to);
    if (!to.ok()) return Fail("usage", to.status());
    query.to_micros = *to;
  }
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("usage", store.status());
  StatusOr<std::vector<ledger::UsageRow>> rows = (*store)->QueryUsage(query);
  if (!rows.ok()) return Fail("usage", rows.status());
  const std::string text = flags.format == "csv"
                               ? ledger::FormatUsageCsv(query.group_by, *rows)
                               : ledger::FormatUsageTable(query.group_by, *rows);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace

Command AddUsageCommand(CLI::App& app) {
  auto flags = std::make_shared<UsageFlags>();
  CLI::App* usage = app.add_subcommand("usage", "report usage and cost from the ledger");
  usage->add_option("--by", flags->by, "group by tenant, model, region and/or day (comma list)")
      ->delimiter(',');
  usage->add_option("--tenant", flags->tenant, "only this tenant");
  usage->add_option("--from", flags->from, "first day, YYYY-MM-DD (UTC, inclusive)");
  usage->add_option("--to", flags->to, "end day, YYYY-MM-DD (UTC, exclusive)");
  usage->add_option("--format", flags->format, "table or csv")
      ->check(CLI::IsMember({"table", "csv"}))
      ->capture_default_str();
  AddLedgerFlags(usage, flags->ledger);
  return {usage, [flags] { return RunUsage(*flags); }};
}

}  // namespace tokenfab::cli
