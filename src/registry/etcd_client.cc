#include "tokenfab/registry/etcd_client.h"

#include <charconv>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "absl/strings/escaping.h"

namespace tokenfab::registry {
namespace {

namespace json = boost::json;

// etcd writes int64 as a decimal string; absent means 0.
int64_t Int64(const json::object& o, std::string_view field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (!v->is_string()) return 0;
  int64_t out = 0;
  const json::string& s = v->get_string();
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

std::string B64(std::string_view raw) {
  return absl::Base64Escape(absl::string_view(raw.data(), raw.size()));
}

std::string Base64Field(const json::object& o, std::string_view field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return "";
  std::string out;
  if (!absl::Base64Unescape(absl::string_view(v->get_string().data(), v->get_string().size()),
                            &out))
    return "";
  return out;
}

int64_t HeaderRevision(const json::object& o) {
  const json::value* h = o.if_contains("header");
  return h != nullptr && h->is_object() ? Int64(h->get_object(), "revision") : 0;
}

EtcdKeyValue ReadKeyValue(const json::object& kv) {
  return EtcdKeyValue{.key = Base64Field(kv, "key"),
                      .value = Base64Field(kv, "value"),
                      .mod_revision = Int64(kv, "mod_revision")};
}

StatusOr<json::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return absl::DataLossError(fmt::format("etcd: not a JSON object: {}", body.substr(0, 200)));
  }
  return std::move(v.get_object());
}

std::string Id(int64_t id) { return std::to_string(id); }

net::HttpClientOptions UnaryOptions(std::chrono::milliseconds timeout) {
  net::HttpClientOptions o;
  o.connect_timeout = timeout;
  o.total_timeout = timeout;
  return o;
}

net::HttpClientOptions StreamOptions(std::chrono::milliseconds timeout) {
  net::HttpClientOptions o;
  o.connect_timeout = timeout;
  return o;
}

// One line of a watch stream: {"result":{...}} or {"error":{...}}.
Status ReadWatchLine(std::string_view line,
                     const std::function<void(std::vector<EtcdEvent>, int64_t)>& on_events) {
  TF_ASSIGN_OR_RETURN(json::object o, ParseObject(line));
  const json::value* result = o.if_contains("result");
  if (result == nullptr || !result->is_object()) {
    return absl::UnavailableError(fmt::format("etcd watch: {}", line.substr(0, 200)));
  }
  const json::object& r = result->get_object();
  if (const json::value* c = r.if_contains("canceled"); c && c->is_bool() && c->get_bool()) {
    return absl::AbortedError(
        fmt::format("etcd watch cancelled (compact revision {})", Int64(r, "compact_revision")));
  }
  std::vector<EtcdEvent> events;
  if (const json::value* list = r.if_contains("events"); list && list->is_array()) {
    for (const json::value& e : list->get_array()) {
      if (!e.is_object()) continue;
      const json::object& eo = e.get_object();
      EtcdEvent event;
      if (const json::value* t = eo.if_contains("type"); t && t->is_string()) {
        event.deleted = t->get_string() == "DELETE";
      }
      if (const json::value* kv = eo.if_contains("kv"); kv && kv->is_object()) {
        event.kv = ReadKeyValue(kv->get_object());
      }
      events.push_back(std::move(event));
    }
  }
  if (!events.empty()) on_events(std::move(events), HeaderRevision(r));
  return absl::OkStatus();
}

}  // namespace

std::string PrefixRangeEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

EtcdClient::EtcdClient(net::IoContextPool& pool, net::HttpUrl endpoint,
                       std::chrono::milliseconds call_timeout)
    : endpoint_(std::move(endpoint)),
      unary_(pool, UnaryOptions(call_timeout)),
      stream_(pool, StreamOptions(call_timeout)) {}

EtcdClient::~EtcdClient() = default;

StatusOr<std::string> EtcdClient::Call(std::string_view path, std::string body) {
  net::ClientRequest request;
  request.method = "POST";
  request.url = endpoint_.WithPath(path);
  request.headers.Set("Content-Type", "application/json");
  request.body = std::move(body);
  TF_ASSIGN_OR_RETURN(net::HttpResponse response, unary_.FetchBlocking(std::move(request)));
  if (response.status != 200) {
    std::string message = response.body.substr(0, 200);
    if (StatusOr<json::object> o = ParseObject(response.body); o.ok()) {
      if (const json::value* m = o->if_contains("message"); m && m->is_string()) {
        message = std::string(m->get_string());
      }
    }
    return absl::UnavailableError(fmt::format("etcd {} {}: HTTP {}: {}", endpoint_.HostPort(), path,
                                              response.status, message));
  }
  return std::move(response.body);
}

StatusOr<int64_t> EtcdClient::Grant(int64_t ttl_s) {
  TF_ASSIGN_OR_RETURN(std::string body,
                      Call("/v3/lease/grant", json::serialize(json::object{{"TTL", ttl_s}})));
  TF_ASSIGN_OR_RETURN(json::object o, ParseObject(body));
  const int64_t id = Int64(o, "ID");
  if (id == 0) return absl::UnavailableError(fmt::format("etcd lease grant: {}", body));
  return id;
}

StatusOr<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  TF_ASSIGN_OR_RETURN(std::string body, Call("/v3/lease/keepalive",
                                             json::serialize(json::object{{"ID", Id(lease)}})));
  // A bidirectional stream through the gateway: one {"result":{...}} line per keep-alive.
  TF_ASSIGN_OR_RETURN(json::object o, ParseObject(body.substr(0, body.find('\n'))));
  const json::value* r = o.if_contains("result");
  if (r == nullptr || !r->is_object()) {
    return absl::UnavailableError(fmt::format("etcd lease keepalive: {}", body.substr(0, 200)));
  }
  return Int64(r->get_object(), "TTL");
}

Status EtcdClient::Revoke(int64_t lease) {
  StatusOr<std::string> body =
      Call("/v3/lease/revoke", json::serialize(json::object{{"ID", Id(lease)}}));
  if (!body.ok() && body.status().message().find("lease not found") != std::string_view::npos) {
    return absl::OkStatus();
  }
  return body.status();
}

Status EtcdClient::Put(std::string_view key, std::string_view value, int64_t lease) {
  json::object o{{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) o["lease"] = Id(lease);
  return Call("/v3/kv/put", json::serialize(o)).status();
}

Status EtcdClient::Delete(std::string_view key) {
  return Call("/v3/kv/deleterange", json::serialize(json::object{{"key", B64(key)}})).status();
}

StatusOr<EtcdRange> EtcdClient::RangePrefix(std::string_view prefix) {
  const json::object request{{"key", B64(prefix)}, {"range_end", B64(PrefixRangeEnd(prefix))}};
  TF_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/range", json::serialize(request)));
  TF_ASSIGN_OR_RETURN(json::object o, ParseObject(body));
  EtcdRange out;
  out.revision = HeaderRevision(o);
  if (const json::value* kvs = o.if_contains("kvs"); kvs && kvs->is_array()) {
    for (const json::value& kv : kvs->get_array()) {
      if (kv.is_object()) out.kvs.push_back(ReadKeyValue(kv.get_object()));
    }
  }
  return out;
}

std::shared_ptr<net::ClientCall> EtcdClient::WatchPrefix(
    std::string_view prefix, int64_t start_revision,
    std::function<void(std::vector<EtcdEvent>, int64_t)> on_events,
    std::function<void(Status)> on_done) {
  const json::object create{{"key", B64(prefix)},
                            {"range_end", B64(PrefixRangeEnd(prefix))},
                            {"start_revision", Id(start_revision)}};
  net::ClientRequest request;
  request.method = "POST";
  request.url = endpoint_.WithPath("/v3/watch");
  request.headers.Set("Content-Type", "application/json");
  request.body = json::serialize(json::object{{"create_request", create}});
  // Shared by the callbacks, which run one at a time on the call's loop.
  struct State {
    std::string pending;  // a line not yet complete
    Status error;         // the first bad line, which ends the watch
    int status = 0;
  };
  auto state = std::make_shared<State>();
  auto call_slot = std::make_shared<std::weak_ptr<net::ClientCall>>();
  net::StreamCallbacks callbacks;
  callbacks.on_head = [state](int status, const net::HttpHeaders&) { state->status = status; };
  callbacks.on_data = [state, call_slot, on_events](std::string_view data) {
    if (!state->error.ok()) return;
    state->pending.append(data);
    size_t start = 0;
    for (size_t nl; (nl = state->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string_view line(state->pending.data() + start, nl - start);
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
      if (Status s = ReadWatchLine(line, on_events); !s.ok()) {
        state->error = s;
        if (auto call = call_slot->lock()) call->Cancel();
        return;
      }
    }
    state->pending.erase(0, start);
  };
  callbacks.on_done = [state, on_done](Status status) {
    if (!state->error.ok()) return on_done(state->error);
    if (status.ok()) status = absl::UnavailableError("etcd ended the watch");
    if (state->status != 0 && state->status != 200) {
      status = absl::UnavailableError(fmt::format("etcd watch: HTTP {}", state->status));
    }
    on_done(status);
  };
  std::shared_ptr<net::ClientCall> call = stream_.Stream(std::move(request), std::move(callbacks));
  *call_slot = call;
  return call;
}

}  // namespace tokenfab::registry
