#include "test_client.h"

#include <future>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "tokenfab/net/cancellation.h"
#include "tokenfab/net/sse.h"

namespace tokenfab::gateway::testing {
namespace {

namespace json = boost::json;

std::optional<json::object> ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

void AppendContent(const json::object& o, std::string& out) {
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return;
  for (const json::value& c : choices->get_array()) {
    if (!c.is_object()) continue;
    const json::object& choice = c.get_object();
    if (const json::value* t = choice.if_contains("text"); t && t->is_string()) {
      out += std::string(t->get_string());
    }
    for (const char* part : {"delta", "message"}) {
      const json::value* p = choice.if_contains(part);
      if (p == nullptr || !p->is_object()) continue;
      for (const char* field : {"reasoning_content", "content"}) {
        if (const json::value* t = p->get_object().if_contains(field); t && t->is_string()) {
          out += std::string(t->get_string());
        }
      }
    }
  }
}

std::optional<SeenUsage> UsageOf(const json::object& o) {
  const json::value* u = o.if_contains("usage");
  if (u == nullptr || !u->is_object()) return std::nullopt;
  SeenUsage seen;
  const json::object& usage = u->get_object();
  seen.prompt_tokens = usage.at("prompt_tokens").to_number<int64_t>();
  seen.completion_tokens = usage.at("completion_tokens").to_number<int64_t>();
  if (const json::value* d = usage.if_contains("prompt_tokens_details"); d && d->is_object()) {
    if (const json::value* c = d->get_object().if_contains("cached_tokens")) {
      seen.cached_tokens = c->to_number<int64_t>();
    }
  }
  return seen;
}

}  // namespace

bool ClientResult::saw_done() const { return !events.empty() && events.back() == "[DONE]"; }

std::string ClientResult::text() const {
  std::string out;
  for (const std::string& e : events) {
    if (auto o = ParseObject(e)) AppendContent(*o, out);
  }
  if (events.empty()) {
    if (auto o = ParseObject(body)) AppendContent(*o, out);
  }
  return out;
}

std::optional<SeenUsage> ClientResult::usage() const {
  std::optional<SeenUsage> seen;
  for (const std::string& e : events) {
    if (auto o = ParseObject(e)) {
      if (auto u = UsageOf(*o)) seen = u;
    }
  }
  if (events.empty()) {
    if (auto o = ParseObject(body)) seen = UsageOf(*o);
  }
  return seen;
}

std::optional<std::string> ClientResult::error() const {
  auto message = [](const std::string& text) -> std::optional<std::string> {
    auto o = ParseObject(text);
    if (!o) return std::nullopt;
    const json::value* e = o->if_contains("error");
    if (e == nullptr || !e->is_object()) return std::nullopt;
    const json::value* m = e->get_object().if_contains("message");
    return m && m->is_string() ? std::optional<std::string>(std::string(m->get_string()))
                               : std::optional<std::string>("");
  };
  for (const std::string& e : events) {
    if (auto m = message(e)) return m;
  }
  return message(body);
}

TestClient::TestClient()
    : pool_(std::make_unique<net::IoContextPool>(1)),
      client_(std::make_unique<net::HttpClient>(*pool_)) {}

TestClient::~TestClient() {
  client_.reset();
  pool_->Stop();
}

ClientResult TestClient::Post(uint16_t port, std::string_view path, std::string body,
                              const PostOptions& options) {
  auto result = std::make_shared<ClientResult>();
  auto finished = std::make_shared<std::promise<void>>();
  net::CancellationSource leave;
  net::ClientRequest request;
  request.method = "POST";
  request.url.host = "127.0.0.1";
  request.url.port = port;
  request.url.target = std::string(path);
  request.headers = options.headers;
  if (!request.headers.Get("Content-Type")) request.headers.Set("Content-Type", "application/json");
  if (!options.api_key.empty()) request.headers.Set("Authorization", "Bearer " + options.api_key);
  request.body = std::move(body);
  request.cancellation = leave.token();
  auto sse = std::make_shared<net::SseParser>();
  auto is_sse = std::make_shared<bool>(false);
  net::StreamCallbacks callbacks;
  callbacks.on_head = [result, is_sse](int status, const net::HttpHeaders& headers) {
    result->status = status;
    result->headers = headers;
    *is_sse = headers.Get("Content-Type").value_or("").find("text/event-stream") !=
              std::string_view::npos;
  };
  const int leave_after = options.leave_after_events;
  callbacks.on_data = [result, sse, is_sse, leave, leave_after](std::string_view data) {
    if (!*is_sse) {
      result->body.append(data);
      return;
    }
    (void)sse->Feed(data, [&](net::SseEvent&& event) {
      result->events.push_back(std::move(event.data));
      if (leave_after >= 0 && static_cast<int>(result->events.size()) >= leave_after) {
        leave.Cancel(net::CancelReason::kCancelled);
      }
    });
  };
  callbacks.on_done = [result, finished](Status status) {
    result->done = std::move(status);
    finished->set_value();
  };
  client_->Stream(std::move(request), std::move(callbacks));
  if (finished->get_future().wait_for(options.timeout) != std::future_status::ready) {
    leave.Cancel(net::CancelReason::kCancelled);
    ClientResult timed_out;
    timed_out.done = absl::DeadlineExceededError("the test client gave up waiting");
    return timed_out;
  }
  return *result;
}

ClientResult TestClient::Get(uint16_t port, std::string_view path, const std::string& api_key) {
  net::ClientRequest request;
  request.url.host = "127.0.0.1";
  request.url.port = port;
  request.url.target = std::string(path);
  if (!api_key.empty()) request.headers.Set("Authorization", "Bearer " + api_key);
  ClientResult result;
  StatusOr<net::HttpResponse> response = client_->FetchBlocking(std::move(request));
  if (!response.ok()) {
    result.done = response.status();
    return result;
  }
  result.status = response->status;
  result.headers = response->headers;
  result.body = response->body;
  return result;
}

std::string ChatBody(std::string_view model, std::string_view content, bool stream,
                     bool include_usage, int max_tokens) {
  json::object body{
      {"model", json::string_view(model.data(), model.size())},
      {"stream", stream},
      {"messages",
       json::array{json::object{{"role", "user"},
                                {"content", json::string_view(content.data(), content.size())}}}}};
  if (include_usage) body["stream_options"] = json::object{{"include_usage", true}};
  if (max_tokens > 0) body["max_tokens"] = max_tokens;
  return json::serialize(body);
}

std::string CompletionBody(std::string_view model, std::string_view prompt, bool stream,
                           bool include_usage, int max_tokens) {
  json::object body{{"model", json::string_view(model.data(), model.size())},
                    {"stream", stream},
                    {"prompt", json::string_view(prompt.data(), prompt.size())}};
  if (include_usage) body["stream_options"] = json::object{{"include_usage", true}};
  if (max_tokens > 0) body["max_tokens"] = max_tokens;
  return json::serialize(body);
}

}  // namespace tokenfab::gateway::testing
