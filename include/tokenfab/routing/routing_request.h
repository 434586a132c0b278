// RoutingRequest: what routing knows about one request. The gateway fills it from the HTTP
// request, the tenant's record and its tier (see src/gateway/request_intake.cc); tests fill it
// by hand.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tokenfab::routing {

// The service levels a tenant's tier promises. Zero means no promise.
struct SloTarget {
  double ttft_ms = 0;  // time to first token, ms
  double tpot_ms = 0;  // time per output token, ms
};

// Borrows its strings and spans: they must outlive the Rank() / OnRouted() call that reads them.
// Plain data.
struct RoutingRequest {
  std::string_view model;                        // model name asked for
  std::string_view tenant;                       // tenant id (for logs and tenant-aware policies)
  std::span<const std::string> allowed_regions;  // tenant-facing region names; empty: anywhere
  SloTarget slo;
  int32_t priority = 0;                // higher is more urgent; carried for policies and logs
  int32_t prompt_tokens = 0;           // prompt length estimate, tokens
  int32_t expected_output_tokens = 0;  // output length estimate (max_tokens or a tier mean)
  // Chained hashes of the prompt's full KV blocks (engine::HashFullBlocks): hash i covers
  // blocks 0..i. kv-aware matches them with the blocks upstreams report cached; prefix-affinity
  // keys its index on them.
  std::span<const uint64_t> block_hashes;
  int32_t block_tokens = 16;  // tokens per block of `block_hashes`
  // Chained hashes of the prompt text in fixed chunks (HashTextChunks), for prefix affinity when
  // the gateway does not tokenize. Used only when `block_hashes` is empty.
  std::span<const uint64_t> text_chunk_hashes;
};

}  // namespace tokenfab::routing
