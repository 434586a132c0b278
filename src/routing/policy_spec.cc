// ParsePolicySpec / FormatPolicySpec (declared in policy_registry.h).
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "absl/container/flat_hash_set.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::routing {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

StatusOr<PolicyTerm> ParseTerm(std::string_view spec, std::string_view text) {
  auto error = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("policy \"{}\": {}", spec, why));
  };
  const size_t colon = text.find(':');
  PolicyTerm term;
  term.name = std::string(Trim(text.substr(0, colon)));
  if (term.name.empty()) return error("empty policy name");
  for (char c : term.name) {
    if (!IsNameChar(c)) return error(fmt::format("bad policy name \"{}\"", term.name));
  }
  if (colon != std::string_view::npos) {
    const std::string_view weight = Trim(text.substr(colon + 1));
    auto [end, ec] = std::from_chars(weight.data(), weight.data() + weight.size(), term.weight);
    if (ec != std::errc() || end != weight.data() + weight.size() || weight.empty()) {
      return error(fmt::format("bad weight \"{}\" for {}", weight, term.name));
    }
    if (!std::isfinite(term.weight) || term.weight <= 0) {
      return error(fmt::format("the weight of {} must be > 0, got {}", term.name, weight));
    }
  }
  return term;
}

}  // namespace

StatusOr<std::vector<PolicyTerm>> ParsePolicySpec(std::string_view spec) {
  std::vector<PolicyTerm> terms;
  absl::flat_hash_set<std::string> seen;
  std::string_view rest = spec;
  while (true) {
    const size_t plus = rest.find('+');
    TF_ASSIGN_OR_RETURN(PolicyTerm term, ParseTerm(spec, rest.substr(0, plus)));
    if (!seen.insert(term.name).second) {
      return absl::InvalidArgumentError(
          fmt::format("policy \"{}\": {} is given twice", spec, term.name));
    }
    terms.push_back(std::move(term));
    if (plus == std::string_view::npos) break;
    rest.remove_prefix(plus + 1);
  }
  return terms;
}

std::string FormatPolicySpec(std::span<const PolicyTerm> terms) {
  std::string out;
  for (const PolicyTerm& term : terms) {
    if (!out.empty()) out += '+';
    out += term.name;
    if (term.weight != 1) fmt::format_to(std::back_inserter(out), ":{}", term.weight);
  }
  return out;
}

}  // namespace tokenfab::routing
