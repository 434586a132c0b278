// `tokenfab keys`: create, list and revoke API keys.
//
//   tokenfab keys create --tenant acme --tier standard   # prints the key once
//   tokenfab keys list [--tenant acme]
//   tokenfab keys revoke KEY_ID
//
// `create` creates the tenant when it does not exist yet (on --tier, default "standard"), so one
// command gets a new customer going; for an existing tenant a different --tier is an error
// (change tiers with `tokenfab tenants set`).
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "command.h"
#include "ledger_flags.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/ledger/authenticator.h"

namespace tokenfab::cli {
namespace {

std::string FormatTime(int64_t wall_micros) {
  const int64_t seconds = wall_micros / 1'000'000;
  const int64_t day = seconds / 86'400;
  const int64_t rest = seconds % 86'400;
  return fmt::format("{} {:02}:{:02}:{:02}Z", ledger::FormatUtcDay(day), rest / 3600,
                     rest / 60 % 60, rest % 60);
}

struct KeysFlags {
  LedgerFlags ledger;
  std::string tenant;
  std::optional<std::string> tier;
  std::string key_id;
};

int RunCreate(const KeysFlags& flags) {
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("keys create", store.status());
  base::Clock& clock = base::RealClock::Get();
  StatusOr<ledger::Tenant> tenant = (*store)->GetTenant(flags.tenant);
  if (absl::IsNotFound(tenant.status())) {
    ledger::Tenant fresh;
    fresh.name = flags.tenant;
    fresh.tier = flags.tier.value_or("standard");
    fresh.created_micros = clock.WallMicros();
    if (Status s = (*store)->CreateTenant(fresh); !s.ok()) return Fail("keys create", s);
    std::fprintf(stderr, "created tenant '%s' on tier '%s'\n", fresh.name.c_str(),
                 fresh.tier.c_str());
  } else if (!tenant.ok()) {
    return Fail("keys create", tenant.status());
  } else if (flags.tier && *flags.tier != tenant->tier) {
    return Fail("keys create",
                absl::FailedPreconditionError(fmt::format(
                    "tenant '{}' is on tier '{}', not '{}' (use `tokenfab tenants set {} --tier "
                    "{}` to move it)",
                    tenant->name, tenant->tier, *flags.tier, tenant->name, *flags.tier)));
  }
  ledger::Authenticator auth(**store, clock);
  StatusOr<ledger::NewApiKey> key = auth.CreateKey(flags.tenant);
  if (!key.ok()) return Fail("keys create", key.status());
  std::printf("%s\n", key->plaintext.c_str());
  std::fprintf(stderr,
               "key id %s for tenant '%s': store the key now, it is not kept and cannot be "
               "shown again\n",
               key->record.key_id.c_str(), flags.tenant.c_str());
  return kExitOk;
}

int RunList(const KeysFlags& flags) {
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("keys list", store.status());
  StatusOr<std::vector<ledger::ApiKeyRecord>> keys = (*store)->ListApiKeys(flags.tenant);
  if (!keys.ok()) return Fail("keys list", keys.status());
  std::printf("%-12s  %-18s  %-20s  %-20s  %s\n", "KEY_ID", "PREFIX", "TENANT", "CREATED",
              "REVOKED");
  for (const ledger::ApiKeyRecord& k : *keys) {
    std::printf("%-12s  %-18s  %-20s  %-20s  %s\n", k.key_id.c_str(),
                (std::string(ledger::kApiKeyPrefix) + k.key_id + "...").c_str(),
                k.tenant.c_str(), FormatTime(k.created_micros).c_str(),
                k.revoked_micros ? FormatTime(*k.revoked_micros).c_str() : "-");
  }
  return kExitOk;
}

int RunRevoke(const KeysFlags& flags) {
  StatusOr<std::unique_ptr<ledger::Store>> store = OpenLedger(flags.ledger);
  if (!store.ok()) return Fail("keys revoke", store.status());
  ledger::Authenticator auth(**store, base::RealClock::Get());
  if (Status s = auth.RevokeKey(flags.key_id); !s.ok()) return Fail("keys revoke", s);
  std::fprintf(stderr, "revoked %s (gateways stop accepting it within their key cache TTL)\n",
               flags.key_id.c_str());
  return kExitOk;
}

}  // namespace

Command AddKeysCommand(CLI::App& app) {
  auto flags = std::make_shared<KeysFlags>();
  CLI::App* keys = app.add_subcommand("keys", "create, list and revoke API keys");
  keys->require_subcommand(1);
  CLI::App* create = keys->add_subcommand("create", "create a key; it is printed once");
  create->add_option("--tenant", flags->tenant, "the tenant (created when missing)")->required();
  create->add_option("--tier", flags->tier, "the tier of a new tenant (default: standard)");
  AddLedgerFlags(create, flags->ledger);
  CLI::App* list = keys->add_subcommand("list", "list keys (never the secrets)");
  list->add_option("--tenant", flags->tenant, "only this tenant's keys");
  AddLedgerFlags(list, flags->ledger);
  CLI::App* revoke = keys->add_subcommand("revoke", "revoke a key by its id");
  revoke->add_option("KEY_ID", flags->key_id, "the key id shown by `keys list`")->required();
  AddLedgerFlags(revoke, flags->ledger);
  return {keys, [flags, create, list, revoke] {
            if (create->parsed()) return RunCreate(*flags);
            if (list->parsed()) return RunList(*flags);
            if (revoke->parsed()) return RunRevoke(*flags);
            return kExitUsage;
          }};
}

}  // namespace tokenfab::cli
