// `tokenfab tenants`: tenants, their tiers, regions and limits, and the tiers themselves.
//
//   tokenfab tenants list
//   tokenfab tenants set acme --tier premium --regions eu-west,eu-central --rpm 600 --budget 5000000
//   tokenfab tenants tiers
//   tokenfab tenants tier-set gold --ttft-ms 300 --tpot-ms 25 --priority 5 --rpm 1000
//   tokenfab tenants tier-set free --max-tokens 4096
//
// `set` creates the tenant when missing. A limit flag overrides the tier's default for the
// tenant; --clear-limits drops every override first.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "command.h"
#include "ledger_flags.h"
#include "tokenfab/base/clock.h"

namespace tokenfab::cli {
namespace {

struct LimitFlags {
  std::optional<int64_t> rpm, tpm, max_concurrency, budget;
  std::optional<std::string> budget_period;

  void Add(CLI::App* app) {
    app->add_option("--rpm", rpm, "requests per minute")->check(CLI::PositiveNumber);
    app->add_option("--tpm", tpm, "tokens per minute")->check(CLI::PositiveNumber);
    app->add_option("--max-concurrency", max_concurrency, "requests in flight at once")
        ->check(CLI::PositiveNumber);
    app->add_option("--budget", budget, "tokens per budget period")->check(CLI::PositiveNumber);
    app->add_option("--budget-period", budget_period, "day or month")
        ->check(CLI::IsMember({"day", "month"}));
  }
  Status ApplyTo(ledger::Limits& limits) const {
    if (rpm) limits.rpm = rpm;
    if (tpm) limits.tpm = tpm;
    if (max_concurrency) limits.max_concurrency = max_concurrency;
    if (budget) limits.token_budget = budget;
    if (budget_period) {
      TF_ASSIGN_OR_RETURN(limits.budget_period, ledger::ParseBudgetPeriod(*budget_period));
    }
    return absl::OkStatus();
  }
};

struct TenantsFlags {
  LedgerFlags ledger;
  std::string name;
  std::optional<std::string> tier;
  std::optional<std::vector<std::string>> regions;
  bool clear_limits = false;
  LimitFlags limits;
  std::optional<int64_t> ttft_ms, tpot_ms;
  std::optional<int32_t> priority;
  std::optional<int64_t> max_tokens;
};

std::string Opt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

std::string Budget(const ledger::Limits& l) {
  if (!l.token_budget) return "-";
  return fmt::format("{}/{}", *l.token_budget,
                     ledger::BudgetPeriodName(l.budget_period.value_or(ledger::BudgetPeriod::kMonth)));
}

int RunList(ledger::Store& store) {
  StatusOr<std::vector<ledger::Tenant>> tenants = store.ListTenants();
  if (!tenants.ok()) return Fail("tenants list", tenants.status());
  std::printf("%-20s  %-10s  %-24s  %8s  %10s  %11s  %s\n", "TENANT", "TIER", "REGIONS", "RPM",
              "TPM", "CONCURRENCY", "BUDGET");
  for (const ledger::Tenant& t : *tenants) {
    const std::string regions = t.allowed_regions.empty() ? "*" : absl::StrJoin(t.allowed_regions, ",");
    std::printf("%-20s  %-10s  %-24s  %8s  %10s  %11s  %s\n", t.name.c_str(), t.tier.c_str(),
                regions.c_str(), Opt(t.limits.rpm).c_str(), Opt(t.limits.tpm).c_str(),
                Opt(t.limits.max_concurrency).c_str(), Budget(t.limits).c_str());
  }
  return kExitOk;
}

int RunSet(ledger::Store& store, const TenantsFlags& flags) {
  StatusOr<ledger::Tenant> existing = store.GetTenant(flags.name);
  const bool create = absl::IsNotFound(existing.status());
  if (!create && !existing.ok()) return Fail("tenants set", existing.status());
  ledger::Tenant tenant = create ? ledger::Tenant() : *existing;
  if (create) {
    tenant.name = flags.name;
    tenant.tier = "standard";
    tenant.created_micros = base::RealClock::Get().WallMicros();
  }
  if (flags.tier) tenant.tier = *flags.tier;
  if (flags.regions) tenant.allowed_regions = *flags.regions;
  if (flags.clear_limits) tenant.limits = ledger::Limits();
  if (Status s = flags.limits.ApplyTo(tenant.limits); !s.ok()) return Fail("tenants set", s);
  const Status s = create ? store.CreateTenant(tenant) : store.UpdateTenant(tenant);
  if (!s.ok()) return Fail("tenants set", s);
  std::fprintf(stderr, "%s tenant '%s'\n", create ? "created" : "updated", tenant.name.c_str());
  return kExitOk;
}

int RunTiers(ledger::Store& store) {
  StatusOr<std::vector<ledger::Tier>> tiers = store.ListTiers();
  if (!tiers.ok()) return Fail("tenants tiers", tiers.status());
  std::printf("%-12s  %8s  %8s  %8s  %8s  %10s  %11s  %-16s  %s\n", "TIER", "TTFT_MS",
              "TPOT_MS", "PRIORITY", "RPM", "TPM", "CONCURRENCY", "BUDGET", "MAX_TOKENS");
  for (const ledger::Tier& t : *tiers) {
    std::printf("%-12s  %8lld  %8lld  %8d  %8s  %10s  %11s  %-16s  %s\n", t.name.c_str(),
                static_cast<long long>(t.ttft_slo_ms), static_cast<long long>(t.tpot_slo_ms),
                t.priority, Opt(t.limits.rpm).c_str(), Opt(t.limits.tpm).c_str(),
                Opt(t.limits.max_concurrency).c_str(), Budget(t.limits).c_str(),
                Opt(t.max_tokens).c_str());
  }
  return kExitOk;
}

int RunTierSet(ledger::Store& store, const TenantsFlags& flags) {
  StatusOr<ledger::Tier> existing = store.GetTier(flags.name);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return Fail("tenants tier-set", existing.status());
  }
  ledger::Tier tier = existing.ok() ? *existing : ledger::Tier();
  tier.name = flags.name;
  if (flags.ttft_ms) tier.ttft_slo_ms = *flags.ttft_ms;
  if (flags.tpot_ms) tier.tpot_slo_ms = *flags.tpot_ms;
  if (flags.priority) tier.priority = *flags.priority;
  if (flags.max_tokens) tier.max_tokens = *flags.max_tokens;
  if (flags.clear_limits) tier.limits = ledger::Limits();
  if (Status s = flags.limits.ApplyTo(tier.limits); !s.ok()) return Fail("tenants tier-set", s);
  if (Status s = store.PutTier(tier); !s.ok()) return Fail("tenants tier-set", s);
  std::fprintf(stderr, "saved tier '%s'\n", tier.name.c_str());
  return kExitOk;
}

}  // namespace

Command AddTenantsCommand(CLI::App& app) {
  auto flags = std::make_shared<TenantsFlags>();
  CLI::App* tenants = app.add_subcommand("tenants", "tenants, tiers, regions and limits");
  tenants->require_subcommand(1);
  CLI::App* list = tenants->add_subcommand("list", "list tenants and their overrides");
  AddLedgerFlags(list, flags->ledger);
  CLI::App* set = tenants->add_subcommand("set", "create or change a tenant");
  set->add_option("NAME", flags->name, "the tenant")->required();
  set->add_option("--tier", flags->tier, "its tier");
  set->add_option("--regions", flags->regions, "allowed regions (comma list; empty: all)")
      ->delimiter(',')
      ->expected(0, -1);
  set->add_flag("--clear-limits", flags->clear_limits, "drop the tenant's limit overrides");
  flags->limits.Add(set);
  AddLedgerFlags(set, flags->ledger);
  CLI::App* tiers = tenants->add_subcommand("tiers", "list tiers");
  AddLedgerFlags(tiers, flags->ledger);
  CLI::App* tier_set = tenants->add_subcommand("tier-set", "create or change a tier");
  tier_set->add_option("NAME", flags->name, "the tier")->required();
  tier_set->add_option("--ttft-ms", flags->ttft_ms, "time-to-first-token objective, ms");
  tier_set->add_option("--tpot-ms", flags->tpot_ms, "time-per-output-token objective, ms");
  tier_set->add_option("--priority", flags->priority, "scheduling priority (higher first)");
  tier_set
      ->add_option("--max-tokens", flags->max_tokens,
                   "most output tokens a request may ask for per choice (max_tokens)")
      ->check(CLI::PositiveNumber);
  tier_set->add_flag("--clear-limits", flags->clear_limits, "drop the tier's default limits");
  LimitFlags& limits = flags->limits;
  limits.Add(tier_set);
  AddLedgerFlags(tier_set, flags->ledger);
  return {tenants, [flags, list, set, tiers, tier_set] {
            StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags->ledger);
            if (!store.ok()) return Fail("tenants", store.status());
            if (list->parsed()) return RunList(**store);
            if (set->parsed()) return RunSet(**store, *flags);
            if (tiers->parsed()) return RunTiers(**store);
            if (tier_set->parsed()) return RunTierSet(**store, *flags);
            return kExitUsage;
          }};
}

}  // namespace tokenfab::cli
