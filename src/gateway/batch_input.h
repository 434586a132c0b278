// A batch's input file (JSONL, one request per line, as OpenAI's Batch API takes it):
//   {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {...}}
// Validation names every bad line by its 1-based line number (as OpenAI's `errors` do) and never
// fails as a whole on bad content. Blank lines are skipped. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tokenfab::gateway {

struct BatchInputLine {
  int64_t line = 0;  // 1-based
  std::string custom_id;
  std::string body;  // the request body, serialized JSON
};

struct BatchInputError {
  int64_t line = 0;  // 1-based; 0 for the file as a whole
  std::string code;  // e.g. "invalid_json_line", "mismatched_url", "duplicate_custom_id"
  std::string message;
};

struct BatchInput {
  std::vector<BatchInputLine> lines;
  std::vector<BatchInputError> errors;  // at most kMaxReportedErrors, then one summary error
};

inline constexpr size_t kMaxReportedErrors = 1000;

// Validates `text` for a batch on `endpoint` ("/v1/chat/completions" or "/v1/completions"),
// allowing at most `max_lines` requests.
BatchInput ParseBatchInput(std::string_view text, std::string_view endpoint, int64_t max_lines);

}  // namespace tokenfab::gateway
