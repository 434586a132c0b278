// PeerTrust: which callers of a gateway are peer gateways (an edge in front of this hub) rather
// than clients. A request from an authenticated peer keeps the request id the peer assigned (so
// the two gateways record it once in the ledger they share) and is not admitted again (the peer
// already reserved the tenant's limits and settles them). Everyone else gets a fresh id and full
// admission, whatever headers they send: a client cannot replay an id or skip its limits.
//
// A peer authenticates by the name (common name) of the client certificate it showed over mutual
// TLS (the listener's --tls-client-ca verified it), or by the deployment's peer secret in the
// x-tokenfab-peer header (compared in constant time). The secret is sent in clear on plain HTTP:
// use it over TLS or a private network. Plain data; thread-safe to read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/net/http_message.h"

namespace tokenfab::gateway {

inline constexpr std::string_view kPeerSecretHeader = "x-tokenfab-peer";

struct PeerTrust {
  std::vector<std::string> tls_names{};  // client certificate names of peer gateways
  std::string secret{};                  // shared by the deployment's gateways; empty: none

  // True when `request` comes from an authenticated peer; false for any request when neither a
  // name nor a secret is configured.
  bool Trusts(const net::HttpRequest& request) const;
};

}  // namespace tokenfab::gateway
