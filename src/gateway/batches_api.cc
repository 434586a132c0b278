#include "batches_api.h"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "batch_runner.h"
#include "files_api.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/endpoint.h"
#include "tokenfab/api/numeric_fields.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

constexpr int64_t kWindowSeconds = 24 * 3600;

net::HttpResponse Error(int status, std::string_view message, std::string_view code = {}) {
  return api::ApiErrorResponse(api::MakeApiError(
      status, message, status >= 500 ? "server_error" : "invalid_request_error", code));
}

net::HttpResponse StoreError(const Status& status) {
  if (absl::IsNotFound(status)) return Error(404, std::string(status.message()));
  TF_LOG_ERROR("batches: {}", status.message());
  return Error(503, "The ledger is unavailable; try again shortly.", "ledger_unavailable");
}

json::value ParsedOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

json::value TimeOrNull(int64_t t) { return t > 0 ? json::value(t) : json::value(nullptr); }

net::HttpResponse Answer(GatewayContext& ctx, const ledger::BatchRecord& batch) {
  StatusOr<ledger::LineCounts> counts = ctx.store->batches()->CountLines(batch.id);
  if (!counts.ok()) return StoreError(counts.status());
  return net::HttpResponse::Json(200, BatchJson(batch, *counts));
}

// Why `body` is not a valid create request, or empty when it is one (then `batch` is filled).
std::string ReadCreate(const json::object& body, ledger::BatchRecord& batch) {
  const json::value* file = body.if_contains("input_file_id");
  if (file == nullptr || !file->is_string() || file->get_string().empty()) {
    return "'input_file_id' is required.";
  }
  batch.input_file_id = std::string(file->get_string());
  const json::value* endpoint = body.if_contains("endpoint");
  if (endpoint == nullptr || !endpoint->is_string() ||
      (endpoint->get_string() != api::EndpointPath(api::Endpoint::kChatCompletions) &&
       endpoint->get_string() != api::EndpointPath(api::Endpoint::kCompletions))) {
    return "'endpoint' must be '/v1/chat/completions' or '/v1/completions'.";
  }
  batch.endpoint = std::string(endpoint->get_string());
  const json::value* window = body.if_contains("completion_window");
  if (window == nullptr || !window->is_string() || window->get_string() != "24h") {
    return "'completion_window' must be '24h'.";
  }
  if (const json::value* metadata = body.if_contains("metadata");
      metadata != nullptr && !metadata->is_null()) {
    if (!metadata->is_object() || metadata->get_object().size() > 16) {
      return "'metadata' must be an object of at most 16 string values.";
    }
    for (const auto& [key, value] : metadata->get_object()) {
      if (!value.is_string() || key.size() > 64 || value.get_string().size() > 512) {
        return "'metadata' keys are at most 64 characters and values strings of at most 512.";
      }
    }
    batch.metadata_json = json::serialize(*metadata);
  }
  return {};
}

net::HttpResponse Create(GatewayContext& ctx, const ledger::Principal& who,
                         const net::HttpRequest& request) {
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return Error(400, "The request body must be a JSON object.");
  ledger::BatchRecord batch;
  if (std::string why = ReadCreate(body.get_object(), batch); !why.empty()) {
    return Error(400, why);
  }
  StatusOr<ledger::FileRecord> file =
      ctx.store->batches()->GetFile(who.tenant.name, batch.input_file_id);
  if (!file.ok()) return StoreError(file.status());
  if (file->purpose != "batch") {
    return Error(400,
                 fmt::format("File {} has purpose '{}', not 'batch'.", file->id, file->purpose));
  }
  batch.id = NewObjectId("batch_");
  batch.tenant = who.tenant.name;
  batch.key_id = who.key_id;
  batch.created_at = ctx.clock.WallMicros() / 1'000'000;
  batch.expires_at = batch.created_at + kWindowSeconds;
  if (Status s = ctx.batch_runner->Create(batch); !s.ok()) return StoreError(s);
  return Answer(ctx, batch);
}

net::HttpResponse List(GatewayContext& ctx, const ledger::Principal& who,
                       const net::HttpRequest& request) {
  int64_t limit = 20;
  if (std::string given = QueryParam(request.query(), "limit"); !given.empty()) {
    StatusOr<int64_t> parsed = api::ParseIntegerParam("limit", given, 1, 100);
    if (!parsed.ok()) return api::ApiErrorResponse(api::ApiErrorFromStatus(parsed.status()));
    limit = *parsed;
  }
  StatusOr<std::vector<ledger::BatchRecord>> batches = ctx.store->batches()->ListBatches(
      who.tenant.name, QueryParam(request.query(), "after"), limit + 1);
  if (!batches.ok()) return StoreError(batches.status());
  const bool more = static_cast<int64_t>(batches->size()) > limit;
  if (more) batches->pop_back();
  json::array data;
  for (const ledger::BatchRecord& b : *batches) {
    StatusOr<ledger::LineCounts> counts = ctx.store->batches()->CountLines(b.id);
    if (!counts.ok()) return StoreError(counts.status());
    data.push_back(json::parse(BatchJson(b, *counts)));
  }
  json::object out{{"object", "list"}, {"data", data}, {"has_more", more}};
  out["first_id"] = batches->empty() ? json::value(nullptr) : json::value(batches->front().id);
  out["last_id"] = batches->empty() ? json::value(nullptr) : json::value(batches->back().id);
  return net::HttpResponse::Json(200, json::serialize(out));
}

net::HttpResponse One(GatewayContext& ctx, const ledger::Principal& who,
                      const net::HttpRequest& request) {
  std::string_view tail = request.path().substr(std::string_view("/v1/batches/").size());
  const std::string id(tail.substr(0, tail.find('/')));
  const std::string_view rest =
      tail.find('/') == std::string_view::npos ? "" : tail.substr(tail.find('/') + 1);
  if (request.method == "GET" && rest.empty()) {
    StatusOr<ledger::BatchRecord> batch = ctx.store->batches()->GetBatch(who.tenant.name, id);
    if (!batch.ok()) return StoreError(batch.status());
    return Answer(ctx, *batch);
  }
  if (request.method == "POST" && rest == "cancel") {
    StatusOr<ledger::BatchRecord> batch = ctx.batch_runner->Cancel(who.tenant.name, id);
    if (absl::IsFailedPrecondition(batch.status())) {
      return Error(409, fmt::format("Batch {} cannot be cancelled now.", id),
                   "batch_not_cancellable");
    }
    if (!batch.ok()) return StoreError(batch.status());
    return Answer(ctx, *batch);
  }
  return Error(404, fmt::format("Unknown path {}", request.path()));
}

}  // namespace

std::string BatchJson(const ledger::BatchRecord& b, const ledger::LineCounts& counts) {
  json::object out{{"id", b.id},
                   {"object", "batch"},
                   {"endpoint", b.endpoint},
                   {"errors", ParsedOrNull(b.errors_json)},
                   {"input_file_id", b.input_file_id},
                   {"completion_window", b.completion_window},
                   {"status", b.status},
                   {"created_at", b.created_at},
                   {"in_progress_at", TimeOrNull(b.in_progress_at)},
                   {"expires_at", TimeOrNull(b.expires_at)},
                   {"finalizing_at", TimeOrNull(b.finalizing_at)},
                   {"completed_at", TimeOrNull(b.completed_at)},
                   {"failed_at", TimeOrNull(b.failed_at)},
                   {"expired_at", TimeOrNull(b.expired_at)},
                   {"cancelling_at", TimeOrNull(b.cancelling_at)},
                   {"cancelled_at", TimeOrNull(b.cancelled_at)},
                   {"metadata", ParsedOrNull(b.metadata_json)}};
  out["output_file_id"] =
      b.output_file_id.empty() ? json::value(nullptr) : json::value(b.output_file_id);
  out["error_file_id"] =
      b.error_file_id.empty() ? json::value(nullptr) : json::value(b.error_file_id);
  // An expired batch's unfinished lines are in its error file (batch_expired): counted failed.
  const int64_t failed = b.status == "expired" ? counts.total - counts.succeeded : counts.failed;
  out["request_counts"] =
      json::object{{"total", counts.total}, {"completed", counts.succeeded}, {"failed", failed}};
  return json::serialize(out);
}

void AddBatchRoutes(const std::shared_ptr<GatewayContext>& context, net::Router& router) {
  auto handle = [&](std::string_view method, std::string_view pattern,
                    net::HttpResponse (*fn)(GatewayContext&, const ledger::Principal&,
                                            const net::HttpRequest&)) {
    router.Handle(method, pattern, [context, fn](std::shared_ptr<net::HttpExchange> exchange) {
      ServeBlocking(context, std::move(exchange), [context, fn](const net::HttpRequest& request) {
        ledger::Principal who;
        if (auto refusal = AuthenticateApiCall(*context, request, who)) return *refusal;
        if (context->batch_runner == nullptr) {
          return Error(503, "Batches are not running on this gateway.", "batch_unavailable");
        }
        return fn(*context, who, request);
      });
    });
  };
  handle("POST", "/v1/batches", &Create);
  handle("GET", "/v1/batches", &List);
  handle("GET", "/v1/batches/*", &One);
  handle("POST", "/v1/batches/*", &One);
}

}  // namespace tokenfab::gateway
