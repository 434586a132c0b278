#include "tokenfab/bench/length_distribution.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace tokenfab::bench {
namespace {

constexpr double kMaxTokens = 10'000'000;

bool ParseNumber(std::string_view text, double& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) return parts;
    start = colon + 1;
  }
}

int Clamp(double value) { return static_cast<int>(std::clamp(std::round(value), 1.0, kMaxTokens)); }

}  // namespace

StatusOr<LengthDistribution> LengthDistribution::Parse(std::string_view spec) {
  const std::vector<std::string_view> parts = Split(spec);
  auto bad = [spec](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format(
        "bad length distribution '{}': {} (expected N, uniform:MIN:MAX, normal:MEAN:STD or "
        "lognormal:MEDIAN:SIGMA)",
        spec, why));
  };
  double a = 0, b = 0;
  if (parts.size() == 1) {
    if (!ParseNumber(parts[0], a) || a < 1 || a > kMaxTokens || a != std::floor(a)) {
      return bad("not a positive whole number of tokens");
    }
    return LengthDistribution(Kind::kFixed, a, 0);
  }
  if (parts.size() != 3 || !ParseNumber(parts[1], a) || !ParseNumber(parts[2], b)) {
    return bad("needs a kind and two numbers");
  }
  if (parts[0] == "uniform") {
    if (a < 1 || b < a || b > kMaxTokens) return bad("needs 1 <= MIN <= MAX");
    return LengthDistribution(Kind::kUniform, std::floor(a), std::floor(b));
  }
  if (parts[0] == "normal") {
    if (a < 1 || b < 0) return bad("needs MEAN >= 1 and STD >= 0");
    return LengthDistribution(Kind::kNormal, a, b);
  }
  if (parts[0] == "lognormal") {
    if (a < 1 || b < 0) return bad("needs MEDIAN >= 1 and SIGMA >= 0");
    return LengthDistribution(Kind::kLogNormal, a, b);
  }
  return bad(fmt::format("unknown kind '{}'", parts[0]));
}

LengthDistribution LengthDistribution::Fixed(int tokens) {
  return LengthDistribution(Kind::kFixed, std::max(tokens, 1), 0);
}

int LengthDistribution::Sample(base::Random& random) const {
  switch (kind_) {
    case Kind::kFixed:
      return Clamp(a_);
    case Kind::kUniform:
      return Clamp(a_ + static_cast<double>(random.Below(static_cast<uint64_t>(b_ - a_) + 1)));
    case Kind::kNormal:
      return Clamp(a_ + b_ * random.Normal());
    case Kind::kLogNormal:
      return Clamp(a_ * std::exp(b_ * random.Normal()));
  }
  return 1;
}

double LengthDistribution::Mean() const {
  switch (kind_) {
    case Kind::kFixed:
      return a_;
    case Kind::kUniform:
      return (a_ + b_) / 2;
    case Kind::kNormal:
      return a_;
    case Kind::kLogNormal:
      return a_ * std::exp(b_ * b_ / 2);
  }
  return 0;
}

std::string LengthDistribution::ToString() const {
  switch (kind_) {
    case Kind::kFixed:
      return fmt::format("{}", a_);
    case Kind::kUniform:
      return fmt::format("uniform:{}:{}", a_, b_);
    case Kind::kNormal:
      return fmt::format("normal:{}:{}", a_, b_);
    case Kind::kLogNormal:
      return fmt::format("lognormal:{}:{}", a_, b_);
  }
  return "?";
}

}  // namespace tokenfab::bench
