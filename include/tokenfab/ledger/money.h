// Money: every amount in the ledger is an integer count of micro-units of its currency
// (1 USD = 1'000'000 micro-USD). Floating point is never used for money: binary fractions cannot
// represent 0.1, sums of doubles depend on the order of addition, and an invoice must equal the
// sum of its lines to the last unit on every machine and in every database. int64 micro-units
// hold ±9.2e12 currency units, far beyond any single invoice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::ledger {

// Micro-units of a currency (1e-6).
using Micros = int64_t;

inline constexpr Micros kMicrosPerUnit = 1'000'000;

// "12.345678" for 12'345'678 micro-units; negative amounts get a leading '-'.
std::string FormatMicros(Micros amount);

// Parses a decimal amount with at most 6 fractional digits ("0.15", "3", "2.500000") into
// micro-units. More digits, signs other than a leading '-', or overflow are InvalidArgument.
[[nodiscard]] StatusOr<Micros> ParseMicros(std::string_view text);

}  // namespace tokenfab::ledger
