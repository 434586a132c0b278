// RequestRelay, intake: authentication, parsing, routing and admission, on a control worker.
#include <fmt/format.h>

#include "admission_error.h"
#include "request_relay.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/bearer_token.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/engine/block_hash.h"
#include "tokenfab/routing/prefix_hash.h"

namespace tokenfab::gateway {
namespace {

bool IsAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void RequestRelay::Reject(net::HttpResponse response, std::string_view outcome) {
  response.headers.Set("x-tokenfab-upstream", context_->name);
  response.headers.Set("x-tokenfab-region", "-");
  response.headers.Set("x-request-id", request_id_);
  (void)exchange_->Respond(std::move(response));
  context_->counters.rejected.fetch_add(1, std::memory_order_relaxed);
  context_->metrics.Outcome(outcome).Increment();
  Enter(Phase::kDone);
}

net::HttpResponse RequestRelay::NoUpstreamAnswer() const {
  const fleet::FleetConfig& config = *generation_->config;
  if (!allowed_regions_.empty()) {
    // Would an upstream outside the tenant's regions have served it?
    bool inside = false;
    for (uint32_t index : config.UpstreamsServing(request_.model)) {
      const fleet::Site& site = config.SiteOf(config.upstreams()[index]);
      const fleet::Region& region = config.RegionOf(site);
      for (const std::string& allowed : allowed_regions_) {
        if (allowed == region.residency || allowed == region.name) inside = true;
      }
    }
    if (!inside) {
      return api::ApiErrorResponse(api::MakeApiError(
          403,
          fmt::format("no upstream serving model '{}' is in the regions your data "
                      "may be processed in ({})",
                      request_.model, fmt::join(allowed_regions_, ", ")),
          "invalid_request_error", "region_not_allowed"));
    }
  }
  return api::ApiErrorResponse(api::MakeApiError(
      503, fmt::format("no upstream can take a request for model '{}' right now", request_.model),
      "server_error", "no_upstream_available", 1));
}

void RequestRelay::Intake() {
  AssignRequestId();
  std::optional<net::HttpResponse> refusal = Authenticate();
  if (!refusal) refusal = ReadRequest();
  if (!refusal) refusal = Route();
  if (!refusal) refusal = Admit();
  if (refusal) {
    const std::string_view outcome = refusal->status >= 500 ? "error" : "rejected";
    return Reject(*std::move(refusal), outcome);
  }
  Enter(Phase::kCalling);
  StartAttempt();
}

void RequestRelay::AssignRequestId() {
  GatewayContext& ctx = *context_;
  std::optional<std::string_view> given = exchange_->request().headers.Get("x-request-id");
  if (ctx.options.trust_request_ids && given && IsAcceptableRequestId(*given)) {
    request_id_ = std::string(*given);
  } else {
    request_id_ = fmt::format("{}-{:x}", ctx.request_id_prefix,
                              ctx.next_request.fetch_add(1, std::memory_order_relaxed));
  }
}

std::optional<net::HttpResponse> RequestRelay::Authenticate() {
  const std::optional<std::string_view> key =
      api::ParseBearerToken(exchange_->request().headers.Get("Authorization").value_or(""));
  if (!key) return api::ApiErrorResponse(api::MissingApiKeyError());
  StatusOr<ledger::Principal> principal = context_->auth.Authenticate(*key);
  if (absl::IsUnauthenticated(principal.status())) {
    return api::ApiErrorResponse(api::InvalidApiKeyError());
  }
  if (!principal.ok()) {
    TF_LOG_ERROR("request {}: key lookup failed: {}", request_id_, principal.status().message());
    return api::ApiErrorResponse(api::MakeApiError(503,
                                                   "The ledger is unavailable; try again shortly.",
                                                   "server_error", "ledger_unavailable", 1));
  }
  principal_ = *std::move(principal);
  return std::nullopt;
}

std::optional<net::HttpResponse> RequestRelay::ReadRequest() {
  StatusOr<InferenceRequest> parsed = ParseInferenceRequest(endpoint_, exchange_->request().body);
  if (!parsed.ok()) {
    return api::ApiErrorResponse(
        api::MakeApiError(400, std::string(parsed.status().message()), "invalid_request_error"));
  }
  request_ = *std::move(parsed);
  generation_ = context_->fleet.generation();
  if (generation_->config->UpstreamsServing(request_.model).empty()) {
    return api::ApiErrorResponse(api::ModelNotFoundError(request_.model));
  }
  return std::nullopt;
}

void RequestRelay::HashPrompt() {
  prompt_tokens_ =
      ModelVocabularies::EstimateTokens(request_.prompt_bytes) + 4 * request_.messages.size();
  // Prefix hashes: token blocks when the prompt is token ids (or the policy matches blocks the
  // nodes report and the model's vocabulary is known), else chunks of the prompt text when the
  // policy reads them.
  const routing::PolicyInputs& needs = generation_->policy->inputs();
  std::optional<std::vector<int32_t>> ids;
  if (!request_.prompt_ids.empty()) {
    ids = request_.prompt_ids;
  } else if (needs.block_hashes) {
    ids = generation_->vocabularies->EncodePrompt(request_);
  }
  if (ids) {
    prompt_tokens_ = static_cast<int64_t>(ids->size());
    int32_t block_tokens = 0;
    for (const auto& runtime : generation_->upstreams) {
      block_tokens = std::max(block_tokens, runtime->block_tokens());
    }
    routing_.block_tokens = block_tokens > 0 ? block_tokens : 16;
    block_hashes_ = engine::HashFullBlocks(*ids, routing_.block_tokens,
                                           engine::TenantSalt(principal_->tenant.name));
  } else if (needs.prefix_hashes) {
    text_hashes_ = routing::HashTextChunks(request_.PromptText());
  }
}

std::optional<net::HttpResponse> RequestRelay::Route() {
  const ledger::Tenant& tenant = principal_->tenant;
  const ledger::Tier& tier = principal_->tier;
  allowed_regions_ = tenant.allowed_regions;
  HashPrompt();
  routing_.model = request_.model;
  routing_.tenant = tenant.name;
  routing_.allowed_regions = allowed_regions_;
  routing_.slo = {static_cast<double>(tier.ttft_slo_ms), static_cast<double>(tier.tpot_slo_ms)};
  routing_.priority = tier.priority;
  routing_.prompt_tokens = static_cast<int32_t>(std::min<int64_t>(prompt_tokens_, INT32_MAX));
  routing_.expected_output_tokens =
      request_.max_tokens > 0
          ? static_cast<int32_t>(std::min<int64_t>(request_.max_tokens, INT32_MAX))
          : context_->options.default_output_tokens;
  routing_.block_hashes = block_hashes_;
  routing_.text_chunk_hashes = text_hashes_;
  snapshot_ = context_->fleet.Snapshot(*generation_);
  decision_ = generation_->policy->Rank(routing_, *snapshot_);
  if (decision_.empty()) return NoUpstreamAnswer();
  return std::nullopt;
}

std::optional<net::HttpResponse> RequestRelay::Admit() {
  const ledger::Tenant& tenant = principal_->tenant;
  const fleet::FleetConfig& config = *generation_->config;
  // Admission for the region of the first choice (routing already kept to the tenant's regions).
  const fleet::Region& region =
      config.RegionOf(config.SiteOf(config.upstreams()[decision_.ranked[0].index]));
  ledger::AdmissionRequest admit;
  admit.tenant = &tenant;
  admit.tier = &principal_->tier;
  admit.region = tenant.AllowsRegion(region.residency) ? region.residency : region.name;
  admit.prompt_tokens = prompt_tokens_;
  admit.max_output_tokens = request_.max_tokens;
  StatusOr<ledger::Admission> admission = context_->admission.Admit(admit);
  if (!admission.ok()) {
    TF_LOG_ERROR("request {}: admission failed: {}", request_id_, admission.status().message());
    return api::ApiErrorResponse(
        api::MakeApiError(503, "Admission control is unavailable; try again shortly.",
                          "server_error", "admission_unavailable", 1));
  }
  if (!admission->allowed()) return api::ApiErrorResponse(AdmissionError(*admission->rejection));
  ticket_ = std::move(*admission->ticket);
  return std::nullopt;
}

}  // namespace tokenfab::gateway
