#include "tokenfab/gateway/peer_trust.h"

#include <algorithm>

#include "tokenfab/base/constant_time.h"

namespace tokenfab::gateway {

bool PeerTrust::Trusts(const net::HttpRequest& request) const {
  if (!request.tls_peer.empty() &&
      std::find(tls_names.begin(), tls_names.end(), request.tls_peer) != tls_names.end()) {
    return true;
  }
  if (secret.empty()) return false;
  const std::optional<std::string_view> sent = request.headers.Get(kPeerSecretHeader);
  return sent && base::ConstantTimeEquals(*sent, secret);
}

}  // namespace tokenfab::gateway
