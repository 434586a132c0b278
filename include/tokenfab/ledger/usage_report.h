// Usage reports: the rows of Store::QueryUsage() as an aligned text table or as CSV (RFC 4180),
// with the group-by columns first, then currency, requests, tokens, cost (decimal currency
// units), energy (Wh) and carbon (g). Pure functions.
#pragma once

#include <string>
#include <vector>

#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger {

std::string FormatUsageTable(const std::vector<UsageDimension>& group_by,
                             const std::vector<UsageRow>& rows);
std::string FormatUsageCsv(const std::vector<UsageDimension>& group_by,
                           const std::vector<UsageRow>& rows);

}  // namespace tokenfab::ledger
