#include "tokenfab/registry/membership.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "absl/container/flat_hash_set.h"
#include "tokenfab/net/http_url.h"

namespace tokenfab::registry {
namespace {

std::map<std::string, const MemberRecord*> ByName(const MemberView& view) {
  std::map<std::string, const MemberRecord*> out;
  for (const auto& [key, record] : view) out.emplace(record.name, &record);
  return out;
}

// The upstream a member stands for, or why it cannot be one.
StatusOr<fleet::Upstream> ToUpstream(const MemberRecord& m) {
  fleet::Upstream up;
  up.name = m.name;
  TF_ASSIGN_OR_RETURN(up.url, net::ParseHttpUrl(m.url));
  auto kind = fleet::ParseUpstreamKind(m.kind);
  if (!kind) return absl::InvalidArgumentError(fmt::format("unknown kind \"{}\"", m.kind));
  up.kind = *kind;
  up.models = m.models;
  up.site = m.site;
  up.weight = m.weight;
  up.incarnation = m.incarnation;
  if (!m.hardware) return absl::InvalidArgumentError("no hardware (the node's --hardware)");
  TF_RETURN_IF_ERROR(CheckHardware(*m.hardware));
  up.hardware = *m.hardware;
  return up;
}

}  // namespace

MergedFleet MergeMembers(const fleet::FleetSpec& fixed, const MemberView& view) {
  MergedFleet out;
  out.spec = fixed;
  absl::flat_hash_set<std::string> sites;
  for (const fleet::Site& site : fixed.sites) sites.insert(site.name);
  absl::flat_hash_set<std::string> names;
  for (const fleet::Upstream& up : fixed.upstreams) names.insert(up.name);
  for (const auto& [name, member] : ByName(view)) {
    const MemberRecord& m = *member;
    std::string why;
    if (m.draining) {
      why = "draining";
    } else if (!sites.contains(m.site)) {
      why = fmt::format("site \"{}\" is not in the fleet file", m.site);
    } else if (names.contains(m.name)) {
      why = "the name is already an upstream's";
    }
    if (why.empty()) {
      StatusOr<fleet::Upstream> up = ToUpstream(m);
      if (up.ok()) {
        names.insert(m.name);
        out.spec.upstreams.push_back(*std::move(up));
        out.joined.push_back(m.name);
        continue;
      }
      why = std::string(up.status().message());
    }
    out.skipped.push_back(fmt::format("{}: {}", m.name, why));
  }
  return out;
}

std::string MemberDiff::ToString() const {
  if (empty()) return "no change";
  std::string out;
  auto add = [&](char sign, const std::vector<std::string>& names) {
    for (const std::string& n : names) {
      if (!out.empty()) out += ' ';
      out += sign;
      out += n;
    }
  };
  add('+', added);
  add('-', removed);
  add('~', changed);
  return out;
}

MemberDiff DiffMembers(const MemberView& before, const MemberView& after) {
  const auto old_names = ByName(before);
  const auto new_names = ByName(after);
  MemberDiff diff;
  for (const auto& [name, record] : new_names) {
    auto it = old_names.find(name);
    if (it == old_names.end()) {
      diff.added.push_back(name);
    } else if (!(*it->second == *record)) {
      diff.changed.push_back(name);
    }
  }
  for (const auto& [name, record] : old_names) {
    if (!new_names.contains(name)) diff.removed.push_back(name);
  }
  return diff;
}

}  // namespace tokenfab::registry
