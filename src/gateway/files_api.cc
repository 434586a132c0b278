#include "files_api.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "multipart.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/bearer_token.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/ledger/api_key.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

net::HttpResponse Error(int status, std::string_view message, std::string_view code = {}) {
  return api::ApiErrorResponse(api::MakeApiError(
      status, message, status >= 500 ? "server_error" : "invalid_request_error", code));
}

net::HttpResponse StoreError(const Status& status) {
  if (absl::IsNotFound(status)) return Error(404, std::string(status.message()));
  TF_LOG_ERROR("files: {}", status.message());
  return Error(503, "The ledger is unavailable; try again shortly.", "ledger_unavailable");
}

// `path` after `prefix` ("/v1/files/"), split at the first '/': (id, rest).
std::pair<std::string, std::string> SplitId(std::string_view path, std::string_view prefix) {
  std::string_view tail = path.substr(std::min(prefix.size(), path.size()));
  const size_t slash = tail.find('/');
  if (slash == std::string_view::npos) return {std::string(tail), ""};
  return {std::string(tail.substr(0, slash)), std::string(tail.substr(slash + 1))};
}

net::HttpResponse Upload(GatewayContext& ctx, const ledger::Principal& who,
                         const net::HttpRequest& request) {
  StatusOr<std::vector<FormPart>> parts =
      ParseMultipart(request.headers.Get("Content-Type").value_or(""), request.body);
  if (!parts.ok()) return Error(400, std::string(parts.status().message()));
  std::string purpose;
  const FormPart* file = nullptr;
  for (const FormPart& part : *parts) {
    if (part.name == "purpose") purpose = std::string(part.data);
    if (part.name == "file") file = &part;
  }
  if (file == nullptr) return Error(400, "The upload has no 'file' part.", "missing_file");
  if (purpose != "batch") {
    return Error(400, fmt::format("purpose '{}' is not supported; use 'batch'.", purpose),
                 "invalid_purpose");
  }
  if (file->data.size() > ctx.options.max_file_bytes) {
    return Error(413,
                 fmt::format("The file is {} bytes; files may be at most {} bytes.",
                             file->data.size(), ctx.options.max_file_bytes),
                 "file_too_large");
  }
  if (file->data.empty()) return Error(400, "The file is empty.", "empty_file");
  ledger::FileRecord record;
  record.id = NewObjectId("file-");
  record.tenant = who.tenant.name;
  record.filename = file->filename.empty() ? "upload.jsonl" : file->filename.substr(0, 255);
  record.purpose = purpose;
  record.bytes = static_cast<int64_t>(file->data.size());
  record.created_at = ctx.clock.WallMicros() / 1'000'000;
  if (Status s = WriteStoredFile(ctx.options.files_dir, record.id, file->data); !s.ok()) {
    TF_LOG_ERROR("files: {}", s.message());
    return Error(500, "The file could not be stored.", "storage_error");
  }
  if (Status s = ctx.store->batches()->InsertFile(record); !s.ok()) return StoreError(s);
  return net::HttpResponse::Json(200, FileJson(record));
}

net::HttpResponse List(GatewayContext& ctx, const ledger::Principal& who,
                       const net::HttpRequest& request) {
  StatusOr<std::vector<ledger::FileRecord>> files =
      ctx.store->batches()->ListFiles(who.tenant.name, QueryParam(request.query(), "purpose"));
  if (!files.ok()) return StoreError(files.status());
  json::array data;
  for (const ledger::FileRecord& f : *files) data.push_back(json::parse(FileJson(f)));
  return net::HttpResponse::Json(
      200, json::serialize(json::object{{"object", "list"}, {"data", data}, {"has_more", false}}));
}

net::HttpResponse OneFile(GatewayContext& ctx, const ledger::Principal& who,
                          const net::HttpRequest& request) {
  auto [id, rest] = SplitId(request.path(), "/v1/files/");
  ledger::BatchStore& store = *ctx.store->batches();
  StatusOr<ledger::FileRecord> file = store.GetFile(who.tenant.name, id);
  if (!file.ok()) return StoreError(file.status());
  if (request.method == "DELETE" && rest.empty()) {
    if (Status s = store.DeleteFile(who.tenant.name, id); !s.ok()) return StoreError(s);
    std::error_code ec;
    std::filesystem::remove(std::filesystem::path(ctx.options.files_dir) / id, ec);
    return net::HttpResponse::Json(
        200, json::serialize(json::object{{"id", id}, {"object", "file"}, {"deleted", true}}));
  }
  if (request.method == "GET" && rest.empty()) {
    return net::HttpResponse::Json(200, FileJson(*file));
  }
  if (request.method == "GET" && rest == "content") {
    StatusOr<std::string> bytes = ReadStoredFile(ctx.options.files_dir, id);
    if (!bytes.ok()) return Error(500, "The file's bytes could not be read.", "storage_error");
    net::HttpResponse response;
    response.status = 200;
    response.body = *std::move(bytes);
    response.headers.Set("Content-Type", "application/octet-stream");
    return response;
  }
  return Error(404, fmt::format("Unknown path {}", request.path()));
}

}  // namespace

std::string NewObjectId(std::string_view prefix) {
  uint8_t bytes[12];
  if (!ledger::SecureRandomBytes(bytes).ok()) {
    const uint64_t t = static_cast<uint64_t>(base::RealClock::Get().WallMicros());
    for (int i = 0; i < 12; ++i) bytes[i] = static_cast<uint8_t>(t >> (8 * (i % 8)));
  }
  std::string out(prefix);
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

Status WriteStoredFile(const std::string& dir, std::string_view id, std::string_view data) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = (std::filesystem::path(dir) / id).string();
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(fmt::format("cannot create {}", tmp));
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n <= 0) {
      ::close(fd);
      return absl::InternalError(fmt::format("cannot write {}", tmp));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(fmt::format("cannot store {}", path));
  }
  return absl::OkStatus();
}

StatusOr<std::string> ReadStoredFile(const std::string& dir, std::string_view id) {
  std::ifstream in(std::filesystem::path(dir) / id, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("no stored file {}", id));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string FileJson(const ledger::FileRecord& f) {
  return json::serialize(json::object{{"id", f.id},
                                      {"object", "file"},
                                      {"bytes", f.bytes},
                                      {"created_at", f.created_at},
                                      {"filename", f.filename},
                                      {"purpose", f.purpose},
                                      {"status", "processed"},
                                      {"status_details", nullptr},
                                      {"expires_at", nullptr}});
}

std::string QueryParam(std::string_view query, std::string_view key) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(pos, end - pos);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return {};
}

std::optional<net::HttpResponse> AuthenticateApiCall(GatewayContext& context,
                                                     const net::HttpRequest& request,
                                                     ledger::Principal& principal) {
  const std::optional<std::string_view> key =
      api::ParseBearerToken(request.headers.Get("Authorization").value_or(""));
  if (!key) return api::ApiErrorResponse(api::MissingApiKeyError());
  StatusOr<ledger::Principal> found = context.auth.Authenticate(*key);
  if (absl::IsUnauthenticated(found.status())) {
    return api::ApiErrorResponse(api::InvalidApiKeyError());
  }
  if (!found.ok()) return StoreError(found.status());
  principal = *std::move(found);
  return std::nullopt;
}

void ServeBlocking(const std::shared_ptr<GatewayContext>& context,
                   std::shared_ptr<net::HttpExchange> exchange,
                   std::function<net::HttpResponse(const net::HttpRequest&)> work) {
  context->control.Schedule([context, exchange = std::move(exchange), work = std::move(work)] {
    net::HttpResponse response =
        (context->options.files_dir.empty() || context->store == nullptr ||
         context->store->batches() == nullptr)
            ? Error(503, "The Files and Batches APIs are not configured on this gateway.",
                    "batch_unavailable")
            : work(exchange->request());
    response.headers.Set("x-tokenfab-upstream", context->name);
    (void)exchange->Respond(std::move(response));
  });
}

void AddFilesRoutes(const std::shared_ptr<GatewayContext>& context, net::Router& router) {
  auto handle = [&](std::string_view method, std::string_view pattern,
                    net::HttpResponse (*fn)(GatewayContext&, const ledger::Principal&,
                                            const net::HttpRequest&)) {
    router.Handle(method, pattern, [context, fn](std::shared_ptr<net::HttpExchange> exchange) {
      ServeBlocking(context, std::move(exchange), [context, fn](const net::HttpRequest& request) {
        ledger::Principal who;
        if (auto refusal = AuthenticateApiCall(*context, request, who)) return *refusal;
        return fn(*context, who, request);
      });
    });
  };
  handle("POST", "/v1/files", &Upload);
  handle("GET", "/v1/files", &List);
  handle("GET", "/v1/files/*", &OneFile);
  handle("DELETE", "/v1/files/*", &OneFile);
}

}  // namespace tokenfab::gateway
