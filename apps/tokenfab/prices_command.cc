// `tokenfab prices`: the price book, per model and region, per million tokens.
//
//   tokenfab prices set --model llama3-8b --region eu-west --input 0.15
//       --cached-input 0.075 --output 0.60 --currency EUR [--from 2024-04-01]
//       [--flex-percent 50] [--batch-percent 50] [--priority-percent 200]
//   tokenfab prices list
//
// A new entry applies from --from (default: now) on; earlier requests keep their price. The
// service tiers' prices are percentages of the entry's (default-tier) prices.
#include <cstdio>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "command.h"
#include "ledger_flags.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/money.h"

namespace tokenfab::cli {
namespace {

struct PricesFlags {
  LedgerFlags ledger;
  std::string model = "*";
  std::string region = "*";
  std::string input, cached_input, output;
  std::string currency = "USD";
  std::string from;
  ledger::PriceEntry tiers;  // only the *_percent fields are read
};

int RunSet(ledger::Store& store, const PricesFlags& flags) {
  ledger::PriceEntry entry;
  entry.model = flags.model;
  entry.region = flags.region;
  entry.currency = flags.currency;
  entry.flex_percent = flags.tiers.flex_percent;
  entry.batch_percent = flags.tiers.batch_percent;
  entry.priority_percent = flags.tiers.priority_percent;
  for (auto [text, field] : {std::pair{&flags.input, &entry.input_per_million},
                             std::pair{&flags.cached_input, &entry.cached_input_per_million},
                             std::pair{&flags.output, &entry.output_per_million}}) {
    StatusOr<ledger::Micros> amount = ledger::ParseMicros(*text);
    if (!amount.ok()) return Fail("prices set", amount.status());
    *field = *amount;
  }
  if (flags.from.empty()) {
    entry.effective_from_micros = base::RealClock::Get().WallMicros();
  } else {
    StatusOr<int64_t> from = ledger::ParseUtcDate(flags.from);
    if (!from.ok()) return Fail("prices set", from.status());
    entry.effective_from_micros = *from;
  }
  if (Status s = store.AddPrice(entry); !s.ok()) return Fail("prices set", s);
  return kExitOk;
}

int RunList(ledger::Store& store) {
  StatusOr<std::vector<ledger::PriceEntry>> prices = store.ListPrices();
  if (!prices.ok()) return Fail("prices list", prices.status());
  std::printf("%-24s  %-12s  %-10s  %14s  %14s  %14s  %-8s  %6s  %6s  %6s\n", "MODEL", "REGION",
              "FROM", "INPUT/M", "CACHED/M", "OUTPUT/M", "CURRENCY", "FLEX%", "BATCH%", "PRIO%");
  for (const ledger::PriceEntry& p : *prices) {
    std::printf("%-24s  %-12s  %-10s  %14s  %14s  %14s  %-8s  %6lld  %6lld  %6lld\n",
                p.model.c_str(), p.region.c_str(),
                ledger::FormatUtcDay(p.effective_from_micros / ledger::kMicrosPerDay).c_str(),
                ledger::FormatMicros(p.input_per_million).c_str(),
                ledger::FormatMicros(p.cached_input_per_million).c_str(),
                ledger::FormatMicros(p.output_per_million).c_str(), p.currency.c_str(),
                static_cast<long long>(p.flex_percent), static_cast<long long>(p.batch_percent),
                static_cast<long long>(p.priority_percent));
  }
  return kExitOk;
}

}  // namespace

Command AddPricesCommand(CLI::App& app) {
  auto flags = std::make_shared<PricesFlags>();
  CLI::App* prices = app.add_subcommand("prices", "the price book (per million tokens)");
  prices->require_subcommand(1);
  CLI::App* set = prices->add_subcommand("set", "add a price from a date on");
  set->add_option("--model", flags->model, "model name or *")->capture_default_str();
  set->add_option("--region", flags->region, "region or *")->capture_default_str();
  set->add_option("--input", flags->input, "uncached prompt tokens, per million")->required();
  set->add_option("--cached-input", flags->cached_input, "cached prompt tokens, per million")
      ->required();
  set->add_option("--output", flags->output, "completion tokens, per million")->required();
  set->add_option("--currency", flags->currency, "ISO 4217 code")->capture_default_str();
  set->add_option("--from", flags->from, "effective from YYYY-MM-DD (UTC; default: now)");
  for (auto [name, field, what] :
       {std::tuple{"--flex-percent", &flags->tiers.flex_percent, "service_tier flex"},
        std::tuple{"--batch-percent", &flags->tiers.batch_percent, "Batch API lines"},
        std::tuple{"--priority-percent", &flags->tiers.priority_percent,
                   "service_tier priority"}}) {
    set->add_option(name, *field, fmt::format("price of {}, % of the default tier's", what))
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
  }
  AddLedgerFlags(set, flags->ledger);
  CLI::App* list = prices->add_subcommand("list", "list every price entry");
  AddLedgerFlags(list, flags->ledger);
  return {prices, [flags, set, list] {
            StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags->ledger);
            if (!store.ok()) return Fail("prices", store.status());
            if (set->parsed()) return RunSet(**store, *flags);
            if (list->parsed()) return RunList(**store);
            return kExitUsage;
          }};
}

}  // namespace tokenfab::cli
