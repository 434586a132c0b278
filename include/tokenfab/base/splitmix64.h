// SplitMix64 (Steele, Lea and Flood; Vigna's public-domain splitmix64.c): a 64-bit counter
// advanced by the golden-ratio increment and passed through a bijective mixing function. The one
// home of its constants: seeds, synthetic text and generated weights are derived with it, so its
// outputs are part of what `--seed N` reproduces and must never change. Pure; thread-safe.
#pragma once

#include <cstdint>

namespace tokenfab::base {

// The increment of SplitMix64's counter (2^64 / golden ratio, odd).
inline constexpr uint64_t kSplitMix64Increment = 0x9e3779b97f4a7c15ULL;

// SplitMix64's mixing function (Stafford's "Mix13"): a bijection on 64 bits that spreads every
// input bit over the output.
constexpr uint64_t SplitMix64Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The output of the generator whose state is `state`, without advancing it:
// SplitMix64Mix(state + kSplitMix64Increment).
constexpr uint64_t SplitMix64(uint64_t state) {
  return SplitMix64Mix(state + kSplitMix64Increment);
}

// One step of the generator: advances `state` by the increment and returns the mixed new state.
// From the seed 1234567 the first outputs are 6457827717110365317, 3203168211198807973, ...
constexpr uint64_t SplitMix64Next(uint64_t& state) {
  state += kSplitMix64Increment;
  return SplitMix64Mix(state);
}

// A hash of the pair (a, b): boost's hash_combine of b into a, then the mixing function.
// Not symmetric: SplitMix64Combine(a, b) != SplitMix64Combine(b, a) in general.
constexpr uint64_t SplitMix64Combine(uint64_t a, uint64_t b) {
  return SplitMix64Mix(a ^ (b + kSplitMix64Increment + (a << 6) + (a >> 2)));
}

}  // namespace tokenfab::base
