#include "request_intake.h"

#include <fmt/format.h>

#include "admission_error.h"
#include "model_vocabularies.h"
#include "tier_max_tokens.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/bearer_token.h"
#include "tokenfab/base/constant_time.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/engine/block_hash.h"
#include "tokenfab/routing/prefix_hash.h"
#include "valley_filler.h"

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

net::HttpResponse RequestIntake::NoUpstreamAnswer() const {
  const fleet::FleetConfig& config = *admitted_.generation->config;
  if (!admitted_.allowed_regions.empty()) {
    // Would an upstream outside the tenant's regions have served it?
    bool inside = false;
    for (uint32_t index : config.UpstreamsServing(admitted_.request.model)) {
      const fleet::Site& site = config.SiteOf(config.upstreams()[index]);
      const fleet::Region& region = config.RegionOf(site);
      for (const std::string& allowed : admitted_.allowed_regions) {
        if (allowed == region.residency || allowed == region.name) inside = true;
      }
    }
    if (!inside) {
      return api::ApiErrorResponse(api::MakeApiError(
          403,
          fmt::format("no upstream serving model '{}' is in the regions your data "
                      "may be processed in ({})",
                      admitted_.request.model, fmt::join(admitted_.allowed_regions, ", ")),
          "invalid_request_error", "region_not_allowed"));
    }
  }
  return api::ApiErrorResponse(
      api::MakeApiError(503,
                        fmt::format("no upstream can take a request for model '{}' right now",
                                    admitted_.request.model),
                        "server_error", "no_upstream_available", 1));
}

RequestIntake::RequestIntake(GatewayContext& context, const net::HttpExchange& exchange,
                             api::Endpoint endpoint, AdmittedRequest& admitted)
    : context_(context), exchange_(exchange), endpoint_(endpoint), admitted_(admitted) {}

std::optional<net::HttpResponse> RequestIntake::Run() {
  AssignRequestId();
  std::optional<net::HttpResponse> refusal = Authenticate();
  if (!refusal) refusal = ReadRequest();
  if (!refusal) refusal = Route();
  if (!refusal) refusal = Admit();
  return refusal;
}

void RequestIntake::AssignRequestId() {
  GatewayContext& ctx = context_;
  const net::HttpHeaders& headers = exchange_.request().headers;
  std::optional<std::string_view> given = headers.Get("x-request-id");
  const std::optional<std::string_view> batch = headers.Get("x-tokenfab-batch");
  admitted_.batch_line =
      batch && !ctx.batch_secret.empty() && base::ConstantTimeEquals(*batch, ctx.batch_secret);
  admitted_.from_peer = ctx.options.peers.Trusts(exchange_.request());
  if ((admitted_.from_peer || admitted_.batch_line) && given && IsAcceptableRequestId(*given)) {
    admitted_.request_id = std::string(*given);
  } else {
    admitted_.request_id = fmt::format("{}-{:x}", ctx.request_id_prefix,
                                       ctx.next_request.fetch_add(1, std::memory_order_relaxed));
  }
}

std::optional<net::HttpResponse> RequestIntake::AuthenticateBatchLine() {
  const net::HttpHeaders& headers = exchange_.request().headers;
  const std::string tenant(headers.Get("x-tokenfab-tenant").value_or(""));
  StatusOr<ledger::Tenant> found = context_.store->GetTenant(tenant);
  StatusOr<ledger::Tier> tier =
      found.ok() ? context_.store->GetTier(found->tier) : StatusOr<ledger::Tier>(found.status());
  if (!tier.ok()) {
    TF_LOG_ERROR("batch line {}: tenant '{}': {}", admitted_.request_id, tenant,
                 tier.status().message());
    return api::ApiErrorResponse(api::MakeApiError(503, "The batch's tenant cannot be read.",
                                                   "server_error", "ledger_unavailable", 1));
  }
  admitted_.principal.key_id = std::string(headers.Get("x-tokenfab-key-id").value_or("batch"));
  admitted_.principal.tenant = *std::move(found);
  admitted_.principal.tier = *std::move(tier);
  return std::nullopt;
}

std::optional<net::HttpResponse> RequestIntake::Authenticate() {
  if (admitted_.batch_line) return AuthenticateBatchLine();
  const std::optional<std::string_view> key =
      api::ParseBearerToken(exchange_.request().headers.Get("Authorization").value_or(""));
  if (!key) return api::ApiErrorResponse(api::MissingApiKeyError());
  StatusOr<ledger::Principal> principal = context_.auth.Authenticate(*key);
  if (absl::IsUnauthenticated(principal.status())) {
    return api::ApiErrorResponse(api::InvalidApiKeyError());
  }
  if (!principal.ok()) {
    TF_LOG_ERROR("request {}: key lookup failed: {}", admitted_.request_id,
                 principal.status().message());
    return api::ApiErrorResponse(api::MakeApiError(503,
                                                   "The ledger is unavailable; try again shortly.",
                                                   "server_error", "ledger_unavailable", 1));
  }
  admitted_.principal = *std::move(principal);
  return std::nullopt;
}

std::optional<net::HttpResponse> RequestIntake::ReadRequest() {
  StatusOr<InferenceRequest> parsed = ParseInferenceRequest(endpoint_, exchange_.request().body);
  if (!parsed.ok()) return api::ApiErrorResponse(api::ApiErrorFromStatus(parsed.status()));
  if (Status capped = ApplyTierMaxTokens(admitted_.principal.tier, *parsed); !capped.ok()) {
    return api::ApiErrorResponse(api::ApiErrorFromStatus(capped));
  }
  admitted_.request = *std::move(parsed);
  admitted_.tier = DecideServiceTier(admitted_.request.service_tier, admitted_.principal.tier,
                                     admitted_.batch_line);
  admitted_.generation = context_.fleet.generation();
  if (admitted_.generation->config->upstreams().empty()) {
    // A gateway fed by a registry before any node joined: a passing state, not a wrong model.
    return api::ApiErrorResponse(api::MakeApiError(
        503, "no upstream has joined the fleet yet (registered nodes join as they start)",
        "server_error", "no_upstream_available", 1));
  }
  if (admitted_.generation->config->UpstreamsServing(admitted_.request.model).empty()) {
    return api::ApiErrorResponse(api::ModelNotFoundError(admitted_.request.model));
  }
  return std::nullopt;
}

void RequestIntake::HashPrompt() {
  prompt_tokens_ = ModelVocabularies::EstimateTokens(admitted_.request.prompt_bytes) +
                   4 * admitted_.request.messages.size();
  // Prefix hashes: token blocks when the prompt is token ids (or the policy matches blocks the
  // nodes report and the model's vocabulary is known), else chunks of the prompt text when the
  // policy reads them.
  const routing::PolicyInputs& needs = admitted_.generation->policy->inputs();
  std::optional<std::vector<int32_t>> ids;
  if (!admitted_.request.prompt_ids.empty()) {
    ids = admitted_.request.prompt_ids;
  } else if (needs.block_hashes) {
    ids = admitted_.generation->vocabularies->EncodePrompt(admitted_.request);
  }
  if (context_.spool != nullptr && admitted_.request.stream) {
    // Its progress records bill the prompt; counted here rather than on the relay's I/O loop.
    admitted_.counted_prompt_tokens =
        ids ? static_cast<int64_t>(ids->size())
            : admitted_.generation->vocabularies->CountPrompt(admitted_.request);
  }
  if (ids) {
    prompt_tokens_ = static_cast<int64_t>(ids->size());
    int32_t block_tokens = 0;
    for (const auto& runtime : admitted_.generation->upstreams) {
      block_tokens = std::max(block_tokens, runtime->block_tokens());
    }
    admitted_.routing.block_tokens = block_tokens > 0 ? block_tokens : 16;
    admitted_.block_hashes = engine::HashFullBlocks(
        *ids, admitted_.routing.block_tokens, engine::TenantSalt(admitted_.principal.tenant.name));
    // Keyed as the upstreams publish theirs on /load (api/prefix_key.h).
    context_.options.prefix_key->PublishAll(admitted_.block_hashes);
  } else if (needs.prefix_hashes) {
    admitted_.text_hashes = routing::HashTextChunks(admitted_.request.PromptText());
  }
}

std::optional<net::HttpResponse> RequestIntake::Route() {
  const ledger::Tenant& tenant = admitted_.principal.tenant;
  const ledger::Tier& tier = admitted_.principal.tier;
  admitted_.allowed_regions = tenant.allowed_regions;
  HashPrompt();
  admitted_.routing.model = admitted_.request.model;
  admitted_.routing.tenant = tenant.name;
  admitted_.routing.allowed_regions = admitted_.allowed_regions;
  admitted_.routing.slo = {static_cast<double>(tier.ttft_slo_ms),
                           static_cast<double>(tier.tpot_slo_ms)};
  admitted_.routing.priority = admitted_.tier.priority;
  admitted_.routing.prompt_tokens =
      static_cast<int32_t>(std::min<int64_t>(prompt_tokens_, INT32_MAX));
  admitted_.routing.expected_output_tokens =
      admitted_.request.max_tokens > 0
          ? static_cast<int32_t>(std::min<int64_t>(admitted_.request.max_tokens, INT32_MAX))
          : context_.options.default_output_tokens;
  admitted_.routing.block_hashes = admitted_.block_hashes;
  admitted_.routing.text_chunk_hashes = admitted_.text_hashes;
  admitted_.snapshot = context_.fleet.Snapshot(*admitted_.generation);
  admitted_.decision = admitted_.generation->policy->Rank(admitted_.routing, *admitted_.snapshot);
  if (admitted_.decision.empty()) return NoUpstreamAnswer();
  // A batch line goes first to the site the valley filler released it to (valley_filler.h).
  const std::optional<std::string_view> site =
      exchange_.request().headers.Get("x-tokenfab-batch-site");
  if (admitted_.batch_line && site) {
    PreferSite(admitted_.decision, *admitted_.generation->config, *site);
  }
  return std::nullopt;
}

std::optional<net::HttpResponse> RequestIntake::Admit() {
  if (context_.recorder.Refusing()) {
    // The store is away and the local spool is at its bound: its usage could not be recorded.
    return api::ApiErrorResponse(api::MakeApiError(503,
                                                   "The ledger is unavailable; try again shortly.",
                                                   "server_error", "ledger_unavailable", 5));
  }
  // The peer gateway in front admitted it and settles its reservation; admitting it here too
  // would count the tenant's request and tokens twice.
  if (admitted_.from_peer) return std::nullopt;
  const ledger::Tenant& tenant = admitted_.principal.tenant;
  const fleet::FleetConfig& config = *admitted_.generation->config;
  // Admission for the region of the first choice (routing already kept to the tenant's regions).
  const fleet::Region& region =
      config.RegionOf(config.SiteOf(config.upstreams()[admitted_.decision.ranked[0].index]));
  ledger::AdmissionRequest admit;
  admit.tenant = &tenant;
  admit.tier = &admitted_.principal.tier;
  admit.region = tenant.AllowsRegion(region.residency) ? region.residency : region.name;
  admit.prompt_tokens = prompt_tokens_;
  admit.max_output_tokens = admitted_.request.max_tokens;  // per choice
  admit.choices = admitted_.request.choices();
  StatusOr<ledger::Admission> admission = context_.admission.Admit(admit);
  if (!admission.ok()) {
    TF_LOG_ERROR("request {}: admission failed: {}", admitted_.request_id,
                 admission.status().message());
    return api::ApiErrorResponse(
        api::MakeApiError(503, "Admission control is unavailable; try again shortly.",
                          "server_error", "admission_unavailable", 1));
  }
  if (!admission->allowed()) return api::ApiErrorResponse(AdmissionError(*admission->rejection));
  admitted_.ticket = std::move(*admission->ticket);
  return std::nullopt;
}

}  // namespace tokenfab::gateway
