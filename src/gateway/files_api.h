// The Files API (OpenAI's /v1/files, for the Batch API): upload (multipart/form-data, purpose
// "batch"), list, retrieve, content and delete. Bytes live in options.files_dir, one file per id
// (written to a temporary name, fsynced, renamed); metadata in the ledger (ledger::BatchStore).
// A tenant sees only its own files: another tenant's id is 404.
//
// Also the helpers the Batches API shares: authenticating an API call, ids, and the stored
// files' bytes. Handlers run their blocking work on the control workers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway_context.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/router.h"

namespace tokenfab::gateway {

void AddFilesRoutes(const std::shared_ptr<GatewayContext>& context, net::Router& router);

// The caller's principal from its Bearer key, or the answer refusing it. Blocks (store).
std::optional<net::HttpResponse> AuthenticateApiCall(GatewayContext& context,
                                                     const net::HttpRequest& request,
                                                     ledger::Principal& principal);

// `prefix` + 24 random hex digits.
std::string NewObjectId(std::string_view prefix);

// Stored bytes of file `id` in `dir`: Write replaces atomically and durably.
[[nodiscard]] Status WriteStoredFile(const std::string& dir, std::string_view id,
                                     std::string_view data);
[[nodiscard]] StatusOr<std::string> ReadStoredFile(const std::string& dir, std::string_view id);

// The Files API's JSON for `file`.
std::string FileJson(const ledger::FileRecord& file);

// The value of `key` in a URL query string ("a=1&b=2"), percent-decoding not applied.
std::string QueryParam(std::string_view query, std::string_view key);

// Runs `work` on a control worker and answers the exchange with what it returns.
void ServeBlocking(const std::shared_ptr<GatewayContext>& context,
                   std::shared_ptr<net::HttpExchange> exchange,
                   std::function<net::HttpResponse(const net::HttpRequest&)> work);

}  // namespace tokenfab::gateway
