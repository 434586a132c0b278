#include "tokenfab/api/prefix_key.h"

#include <array>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tokenfab/base/check.h"
#include "tokenfab/base/secret_file.h"

namespace tokenfab::api {
namespace {

constexpr size_t kBlockBytes = 64;  // SHA-256's block
constexpr std::string_view kDomain = "tokenfab-block";

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// A SHA-256 context that has absorbed `pad` (the key XOR ipad or opad).
MdCtx PaddedContext(const std::array<uint8_t, kBlockBytes>& pad) {
  MdCtx ctx(EVP_MD_CTX_new());
  TF_CHECK(ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
           EVP_DigestUpdate(ctx.get(), pad.data(), pad.size()) == 1);
  return ctx;
}

}  // namespace

// HMAC (RFC 2104) with the inner and outer pads absorbed once: each Publish() copies the two
// contexts instead of hashing the key again.
struct PrefixKey::State {
  MdCtx inner;
  MdCtx outer;
};

PrefixKey PrefixKey::FromSecret(std::string_view secret) {
  TF_CHECK(!secret.empty());
  std::array<uint8_t, kBlockBytes> key{};
  if (secret.size() > kBlockBytes) {
    unsigned int n = 0;
    TF_CHECK(EVP_Digest(secret.data(), secret.size(), key.data(), &n, EVP_sha256(), nullptr) == 1);
  } else {
    std::memcpy(key.data(), secret.data(), secret.size());
  }
  std::array<uint8_t, kBlockBytes> ipad, opad;
  for (size_t i = 0; i < kBlockBytes; ++i) {
    ipad[i] = key[i] ^ 0x36;
    opad[i] = key[i] ^ 0x5c;
  }
  auto state = std::make_shared<State>();
  state->inner = PaddedContext(ipad);
  state->outer = PaddedContext(opad);
  return PrefixKey(std::move(state));
}

StatusOr<PrefixKey> PrefixKey::Random() {
  std::array<uint8_t, 32> secret;
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return absl::InternalError("no random bytes for the prefix-hash secret");
  }
  return FromSecret(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
}

StatusOr<PrefixKey> PrefixKey::Load(const std::string& file) {
  if (file.empty()) return Random();
  TF_ASSIGN_OR_RETURN(std::string secret, base::ReadSecretFile(file));
  return FromSecret(secret);
}

uint64_t PrefixKey::Publish(uint64_t block_hash) const {
  thread_local MdCtx scratch(EVP_MD_CTX_new());
  uint8_t message[kDomain.size() + 8];
  std::memcpy(message, kDomain.data(), kDomain.size());
  for (int i = 0; i < 8; ++i)
    message[kDomain.size() + i] = static_cast<uint8_t>(block_hash >> (8 * i));
  uint8_t inner[EVP_MAX_MD_SIZE], outer[EVP_MAX_MD_SIZE];
  unsigned int inner_n = 0, outer_n = 0;
  TF_CHECK(EVP_MD_CTX_copy_ex(scratch.get(), state_->inner.get()) == 1 &&
           EVP_DigestUpdate(scratch.get(), message, sizeof(message)) == 1 &&
           EVP_DigestFinal_ex(scratch.get(), inner, &inner_n) == 1 &&
           EVP_MD_CTX_copy_ex(scratch.get(), state_->outer.get()) == 1 &&
           EVP_DigestUpdate(scratch.get(), inner, inner_n) == 1 &&
           EVP_DigestFinal_ex(scratch.get(), outer, &outer_n) == 1);
  uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out |= static_cast<uint64_t>(outer[i]) << (8 * i);
  return out;
}

void PrefixKey::PublishAll(std::span<uint64_t> hashes) const {
  for (uint64_t& h : hashes) h = Publish(h);
}

}  // namespace tokenfab::api
