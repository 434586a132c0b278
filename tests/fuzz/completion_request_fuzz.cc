// Fuzzes the OpenAI request parser: any bytes are a valid request or an InvalidArgument error,
// never a crash; an accepted request satisfies the invariants the node relies on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tokenfab/api/api_error.h"
#include "tokenfab/api/completion_request.h"

namespace {

void Check(tokenfab::api::Endpoint endpoint, std::string_view body) {
  using tokenfab::api::CompletionRequest;
  const tokenfab::api::RequestLimits limits;
  auto request = tokenfab::api::ParseCompletionRequest(endpoint, body, limits);
  if (!request.ok()) {
    if (request.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    if (tokenfab::api::ApiErrorFromStatus(request.status()).http_status != 400) __builtin_trap();
    return;
  }
  if (!request->sampling.Validate().ok()) __builtin_trap();
  if (request->n < 1 || request->num_choices() > limits.max_choices) __builtin_trap();
  if (endpoint == tokenfab::api::Endpoint::kChatCompletions) {
    if (request->chat.messages.empty()) __builtin_trap();
  } else {
    if (request->prompts.empty()) __builtin_trap();
    for (const auto& prompt : request->prompts) {
      if (prompt.is_tokens && prompt.tokens.empty()) __builtin_trap();
      for (int32_t id : prompt.tokens) {
        if (id < 0) __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  Check(tokenfab::api::Endpoint::kCompletions, body);
  Check(tokenfab::api::Endpoint::kChatCompletions, body);
  return 0;
}
