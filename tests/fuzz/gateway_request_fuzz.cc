// Fuzzes the gateway's request intake without a network: the body parser with its numeric
// checks, the tier's max_tokens cap, the admission reservation, the body sent upstream, and the
// Files API's multipart parser and the Batch API's input validation. Any bytes give a request or
// a 400 naming what is wrong, never a crash; what is accepted satisfies what the relay relies on.
//
// The first byte picks the path (chat, completions, multipart upload, batch input); for a
// multipart upload the bytes up to the first newline are the Content-Type.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "gateway/batch_input.h"
#include "gateway/inference_request.h"
#include "gateway/model_vocabularies.h"
#include "gateway/multipart.h"
#include "gateway/tier_max_tokens.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/ledger/admission.h"

namespace {

namespace gw = tokenfab::gateway;
namespace ledger = tokenfab::ledger;

void ExpectClientError(const tokenfab::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  if (tokenfab::api::ApiErrorFromStatus(status).http_status != 400) __builtin_trap();
}

void Intake(tokenfab::api::Endpoint endpoint, std::string_view body) {
  auto request = gw::ParseInferenceRequest(endpoint, body);
  if (!request.ok()) return ExpectClientError(request.status());
  if (request->model.empty()) __builtin_trap();
  if (request->n < 1 || request->n > 128 || request->prompt_count < 1) __builtin_trap();
  if (request->max_tokens < 0 || request->max_tokens > INT32_MAX) __builtin_trap();
  ledger::Tier tier;
  tier.name = "fuzz";
  tier.max_tokens = 4096;
  const int64_t asked = request->max_tokens;
  if (tokenfab::Status capped = gw::ApplyTierMaxTokens(tier, *request); !capped.ok()) {
    ExpectClientError(capped);
    if (asked <= 4096) __builtin_trap();
    return;
  }
  if (request->max_tokens < 1 || request->max_tokens > 4096) __builtin_trap();
  ledger::Tenant tenant;
  ledger::AdmissionRequest admit;
  admit.tenant = &tenant;
  admit.tier = &tier;
  admit.prompt_tokens = gw::ModelVocabularies::EstimateTokens(request->prompt_bytes) +
                        4 * static_cast<int64_t>(request->messages.size()) +
                        static_cast<int64_t>(request->prompt_ids.size());
  admit.max_output_tokens = request->max_tokens;
  admit.choices = request->choices();
  const int64_t reserved = ledger::ReservedTokens(admit, {});
  if (reserved < request->max_tokens * request->choices() || reserved > ledger::kMaxReservation) {
    __builtin_trap();
  }
  (void)request->PromptText();
  // What goes upstream is JSON again.
  boost::system::error_code ec;
  (void)boost::json::parse(gw::UpstreamBody(*request, tokenfab::fleet::UpstreamKind::kVllm), ec);
  if (ec) __builtin_trap();
}

void Upload(std::string_view input) {
  const size_t newline = input.find('\n');
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  auto parts = gw::ParseMultipart(content_type, body);
  if (!parts.ok()) return ExpectClientError(parts.status());
  for (const gw::FormPart& part : *parts) {
    // Each part's bytes lie inside the body.
    if (part.data.data() < body.data() ||
        part.data.data() + part.data.size() > body.data() + body.size()) {
      __builtin_trap();
    }
  }
}

void Batch(std::string_view text) {
  const gw::BatchInput input = gw::ParseBatchInput(text, "/v1/chat/completions", 50);
  if (input.lines.size() > 50) __builtin_trap();
  if (input.errors.size() > gw::kMaxReportedErrors + 1) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      Intake(tokenfab::api::Endpoint::kChatCompletions, input);
      break;
    case 1:
      Intake(tokenfab::api::Endpoint::kCompletions, input);
      break;
    case 2:
      Upload(input);
      break;
    default:
      Batch(input);
      break;
  }
  return 0;
}
