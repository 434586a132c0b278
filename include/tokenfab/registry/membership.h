// Membership: the registered nodes a gateway sees, joined to its fleet file. Pure functions.
//
// A view maps each registry key to its record. MergeMembers adds a view's records to the fleet
// file's static upstreams, so that the gateway reloads one FleetConfig whatever the source;
// DiffMembers says what changed between two views (for logs and tests).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/registry/member_record.h"

namespace tokenfab::registry {

// Registry key -> record.
using MemberView = std::map<std::string, MemberRecord>;

struct MergedFleet {
  fleet::FleetSpec spec;             // the static spec plus the members that joined
  std::vector<std::string> joined;   // member names, sorted
  std::vector<std::string> skipped;  // "name: why" for each member left out
};

// The static spec (a fleet file's, as loaded) with each member added as an upstream, in name
// order (so every gateway builds the same upstream order from the same view). A member is left
// out, with the reason in `skipped`, when it is draining, its site is not in the spec, its name
// is already an upstream's (static, or an earlier member's), its URL or kind is bad, or its
// hardware is missing or incomplete (fleet files demand it: energy is priced from it).
MergedFleet MergeMembers(const fleet::FleetSpec& fixed, const MemberView& view);

struct MemberDiff {
  std::vector<std::string> added;    // names only in `after`
  std::vector<std::string> removed;  // names only in `before`
  std::vector<std::string> changed;  // in both, the record differs (e.g. now draining)

  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
  // "+a +b -c ~d" or "no change".
  std::string ToString() const;
};

// Compares by member name (a member that moved key, e.g. site, is changed). Sorted names.
MemberDiff DiffMembers(const MemberView& before, const MemberView& after);

}  // namespace tokenfab::registry
