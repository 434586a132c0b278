// ConstantTimeEquals: equality of two secrets (API keys, key digests) that takes the same time
// wherever they differ, so that timing does not reveal how much of a guess was right. Pure;
// thread-safe.
#pragma once

#include <string_view>

namespace tokenfab::base {

// True when `a` and `b` hold the same bytes. False at once when their lengths differ: the length
// is not secret (keys and digests have a public format); the bytes are compared without an
// early exit.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tokenfab::base
