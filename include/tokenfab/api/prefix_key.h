// PrefixKey: the per-deployment secret that keys the prefix-cache block hashes nodes and gateways
// publish on /load.
//
// Inside an engine a block is named by its chained hash over (tenant salt, tokens)
// (engine/block_hash.h), a public function: anyone who knows a prompt and a tenant's name can
// compute it. What /load publishes is instead
//   Publish(h) = the first 8 bytes (little-endian) of HMAC-SHA256(secret, "tokenfab-block" | h),
// with h as 8 little-endian bytes. Without the secret nobody can tell from /load whether a given
// prompt of another tenant is cached. A gateway routing by prefix keys the hashes it computes for
// a prompt the same way, so every node and gateway of a deployment must share the secret
// (--prefix-secret-file); a process started without one draws a random secret, and its published
// hashes then match no other process's (and change at each restart).
//
// Copyable (copies share the keyed state); const methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::api {

class PrefixKey {
 public:
  // Keyed with `secret` (any bytes). REQUIRES: secret non-empty.
  static PrefixKey FromSecret(std::string_view secret);
  // A key from 32 bytes of the operating system's random source.
  [[nodiscard]] static StatusOr<PrefixKey> Random();
  // The secret read from `file` (base::ReadSecretFile) when given, else Random().
  [[nodiscard]] static StatusOr<PrefixKey> Load(const std::string& file);

  // The published name of the block hash `block_hash` (see above).
  uint64_t Publish(uint64_t block_hash) const;
  // Publish() applied to each element in place.
  void PublishAll(std::span<uint64_t> hashes) const;

 private:
  struct State;
  explicit PrefixKey(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace tokenfab::api
