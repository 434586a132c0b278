// Row mapping: the ledger's records as statement parameters and back from result rows, in the
// column orders of schema.h (kTierColumns, kTenantColumns, ...). Both stores use these, so a
// column added to a record is mapped in one place. Internal to the ledger layer.
#pragma once

#include "tokenfab/ledger/api_key.h"
#include "tokenfab/ledger/price_book.h"
#include "tokenfab/ledger/sql_session.h"
#include "tokenfab/ledger/tenant.h"
#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger::internal {

// Parameters in the order of the record's column list.
SqlParams TierParams(const Tier& tier);           // kTierColumns
SqlParams TenantParams(const Tenant& tenant);     // kTenantColumns
SqlParams ApiKeyParams(const ApiKeyRecord& key);  // kApiKeyColumns
SqlParams PriceParams(const PriceEntry& entry);   // kPriceColumns
SqlParams UsageParams(const UsageEvent& event);   // kUsageColumns

// Records from a row selected with the record's column list.
Tier ReadTier(const SqlRow& row);
Tenant ReadTenant(const SqlRow& row);
ApiKeyRecord ReadApiKey(const SqlRow& row);
PriceEntry ReadPrice(const SqlRow& row);
UsageEvent ReadUsage(const SqlRow& row);
// A row of BuildUsageQuery(query)'s result.
UsageRow ReadUsageRow(const SqlRow& row, const UsageQuery& query);

}  // namespace tokenfab::ledger::internal
