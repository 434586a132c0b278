// Request traces of real LLM services, as a load generator replays them: when each request
// arrives and how long its prompt and its answer are. Two public formats (see the shared traces'
// README):
//   - Azure LLM inference trace 2023 (CSV: TIMESTAMP,ContextTokens,GeneratedTokens);
//   - Mooncake (JSON Lines: timestamp ms, input_length, output_length, hash_ids of 512-token
//     prompt blocks, equal ids meaning equal blocks).
// Only differences between timestamps are used: arrivals are relative to the first request.
// Readers return an error naming the file and line for any malformed row; they never crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::bench {

enum class TraceFormat { kAzure, kMooncake };

// Tokens per Mooncake prompt block (what one hash id names).
inline constexpr int kMooncakeBlockTokens = 512;

struct TraceRequest {
  int64_t arrival_us = 0;  // µs after the trace's first request
  int input_tokens = 0;
  int output_tokens = 0;
  std::vector<uint64_t> hash_ids;  // Mooncake only: one per 512-token prompt block
};

// "azure" or "mooncake".
[[nodiscard]] StatusOr<TraceFormat> ParseTraceFormat(std::string_view name);

// Parse a whole trace held in memory; `source` names it in error messages.
[[nodiscard]] StatusOr<std::vector<TraceRequest>> ParseAzureTrace(std::string_view text,
                                                                  std::string_view source);
[[nodiscard]] StatusOr<std::vector<TraceRequest>> ParseMooncakeTrace(std::string_view text,
                                                                     std::string_view source);

// Reads and parses the trace file at `path`.
[[nodiscard]] StatusOr<std::vector<TraceRequest>> ReadTrace(const std::string& path,
                                                            TraceFormat format);

}  // namespace tokenfab::bench
