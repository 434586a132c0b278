#include "fake_upstream.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "net/test_util.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/net/router.h"
#include "tokenfab/net/sse.h"

namespace tokenfab::gateway::testing {
namespace {

namespace json = boost::json;

struct Request {
  bool chat = true;
  bool stream = false;
  bool include_usage = false;
  int64_t max_tokens = 0;
  int64_t prompt_tokens = 0;
};

}  // namespace

struct FakeUpstream::Impl {
  FakeUpstreamOptions options;
  std::unique_ptr<net::IoContextPool> pool;
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<net::testing::EventThread> events;

  mutable absl::Mutex mu;
  FailMode fail ABSL_GUARDED_BY(mu) = FailMode::kNone;
  int cut_after ABSL_GUARDED_BY(mu) = 0;
  std::string load_json ABSL_GUARDED_BY(mu);
  std::string metrics_text ABSL_GUARDED_BY(mu);
  bool healthy ABSL_GUARDED_BY(mu) = true;
  std::vector<ReceivedRequest> received ABSL_GUARDED_BY(mu);

  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> polls{0};
  std::atomic<int64_t> unauthorised{0};
  std::atomic<int64_t> open{0};
  std::atomic<int64_t> cancelled{0};

  std::string Chunk(const Request& r, const std::string& text, const char* finish) const {
    json::object choice{{"index", 0}, {"finish_reason", finish ? json::value(finish) : nullptr}};
    if (r.chat) {
      choice["delta"] = text.empty() ? json::object() : json::object{{"content", text}};
    } else {
      choice["text"] = text;
    }
    return json::serialize(json::object{{"id", "cmpl-fake"},
                                        {"object", r.chat ? "chat.completion.chunk"
                                                          : "text_completion"},
                                        {"created", 0},
                                        {"model", options.model},
                                        {"choices", json::array{choice}}});
  }
  json::object Usage(const Request& r, int64_t completion) const {
    json::object usage{{"prompt_tokens", r.prompt_tokens},
                       {"completion_tokens", completion},
                       {"total_tokens", r.prompt_tokens + completion}};
    if (options.cached_tokens > 0) {
      usage["prompt_tokens_details"] = json::object{{"cached_tokens", options.cached_tokens}};
    }
    return usage;
  }
  std::string UsageChunk(const Request& r, int64_t completion) const {
    return json::serialize(json::object{{"id", "cmpl-fake"},
                                        {"object", r.chat ? "chat.completion.chunk"
                                                          : "text_completion"},
                                        {"created", 0},
                                        {"model", options.model},
                                        {"choices", json::array()},
                                        {"usage", Usage(r, completion)}});
  }

  void Serve(std::shared_ptr<net::HttpExchange> exchange, bool chat);
  void StreamAnswer(std::shared_ptr<net::HttpExchange> exchange, Request r, int tokens, int cut);
};

std::string FakeUpstream::TokenText(int i) const {
  return fmt::format("{}{} ", impl_->options.name, i);
}

int64_t FakeUpstream::CountPromptWords(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return 0;
  std::string text;
  const json::object& o = v.get_object();
  if (const json::value* messages = o.if_contains("messages"); messages && messages->is_array()) {
    for (const json::value& m : messages->get_array()) {
      if (!m.is_object()) continue;
      if (const json::value* c = m.get_object().if_contains("content"); c && c->is_string()) {
        text += std::string(c->get_string()) + " ";
      }
    }
  }
  if (const json::value* p = o.if_contains("prompt"); p && p->is_string()) {
    text += std::string(p->get_string());
  }
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

// One streamed answer: step i < tokens writes token i, step `tokens` the finish chunk, usage and
// [DONE]; at step `cut` the exchange is dropped unfinished (the connection is aborted).
struct FakeUpstream::Streamer : std::enable_shared_from_this<Streamer> {
  Impl* impl;
  std::shared_ptr<net::HttpExchange> exchange;
  Request r;
  int tokens = 0;
  int cut = -1;
  std::atomic<bool> stopped{false};

  void End() {
    if (!stopped.exchange(true)) impl->open.fetch_sub(1);
  }
  void Step(int i) {
    while (!stopped.load()) {
      if (i == cut) {
        End();
        exchange.reset();  // mid-stream without Finish(): the client sees the stream cut
        return;
      }
      if (i < tokens) {
        (void)exchange->WriteSseData(
            impl->Chunk(r, fmt::format("{}{} ", impl->options.name, i), nullptr));
      } else {
        (void)exchange->WriteSseData(
            impl->Chunk(r, "", r.max_tokens > 0 && tokens >= r.max_tokens ? "length" : "stop"));
        if (r.include_usage && impl->options.report_usage) {
          (void)exchange->WriteSseData(impl->UsageChunk(r, tokens));
        }
        (void)exchange->WriteSseData("[DONE]");
        (void)exchange->Finish();
        End();
        exchange.reset();
        return;
      }
      ++i;
      if (impl->options.token_interval.count() > 0) {
        impl->events->RunAfter(impl->options.token_interval,
                               [self = shared_from_this(), i] { self->Step(i); });
        return;
      }
    }
  }
};

void FakeUpstream::Impl::StreamAnswer(std::shared_ptr<net::HttpExchange> exchange, Request r,
                                      int tokens, int cut) {
  auto streamer = std::make_shared<Streamer>();
  streamer->impl = this;
  streamer->exchange = exchange;
  streamer->r = r;
  streamer->tokens = tokens;
  streamer->cut = cut;
  std::weak_ptr<Streamer> weak = streamer;
  exchange->cancellation().Subscribe([this, weak](net::CancelReason) {
    if (auto s = weak.lock(); s && !s->stopped.exchange(true)) {
      cancelled.fetch_add(1);
      open.fetch_sub(1);
    }
  });
  streamer->Step(0);
}

void FakeUpstream::Impl::Serve(std::shared_ptr<net::HttpExchange> exchange, bool chat) {
  requests.fetch_add(1);
  const net::HttpRequest& http = exchange->request();
  FailMode mode;
  int cut;
  {
    absl::MutexLock lock(&mu);
    received.push_back({std::string(http.path()), http.headers, http.body});
    mode = fail;
    cut = cut_after;
  }
  switch (mode) {
    case FailMode::kStatus500:
      (void)exchange->Respond(net::HttpResponse::Json(
          500, R"({"error":{"message":"fake failure","type":"server_error","code":null}})"));
      return;
    case FailMode::kStatus400:
      (void)exchange->Respond(net::HttpResponse::Json(
          400, R"({"error":{"message":"bad request","type":"invalid_request_error"}})"));
      return;
    case FailMode::kNeverAnswer: {
      open.fetch_add(1);
      auto keep = std::make_shared<std::shared_ptr<net::HttpExchange>>(exchange);
      exchange->cancellation().Subscribe([this, keep](net::CancelReason) {
        cancelled.fetch_add(1);
        open.fetch_sub(1);
        keep->reset();
      });
      return;
    }
    default:
      break;
  }
  Request r;
  r.chat = chat;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(http.body.data(), http.body.size()), ec);
  if (ec || !v.is_object()) {
    (void)exchange->Respond(net::HttpResponse::Json(400, R"({"error":{"message":"bad json"}})"));
    return;
  }
  const json::object& o = v.get_object();
  if (const json::value* s = o.if_contains("stream"); s && s->is_bool()) r.stream = s->get_bool();
  if (const json::value* so = o.if_contains("stream_options"); so && so->is_object()) {
    const json::value* iu = so->get_object().if_contains("include_usage");
    r.include_usage = iu && iu->is_bool() && iu->get_bool();
  }
  if (const json::value* mt = o.if_contains("max_tokens"); mt && mt->is_int64()) {
    r.max_tokens = mt->get_int64();
  }
  r.prompt_tokens = CountPromptWords(http.body);
  int tokens = options.tokens;
  if (r.max_tokens > 0 && r.max_tokens < tokens) tokens = static_cast<int>(r.max_tokens);
  if (!r.stream) {
    std::string text;
    for (int i = 0; i < tokens; ++i) text += fmt::format("{}{} ", options.name, i);
    json::object choice{{"index", 0}, {"finish_reason", "stop"}};
    if (chat) {
      choice["message"] = json::object{{"role", "assistant"}, {"content", text}};
    } else {
      choice["text"] = text;
    }
    json::object answer{{"id", "cmpl-fake"},
                        {"object", chat ? "chat.completion" : "text_completion"},
                        {"model", options.model},
                        {"choices", json::array{choice}}};
    if (options.report_usage) answer["usage"] = Usage(r, tokens);
    (void)exchange->Respond(net::HttpResponse::Json(200, json::serialize(answer)));
    return;
  }
  open.fetch_add(1);
  (void)exchange->StartSse();
  StreamAnswer(std::move(exchange), r, tokens, mode == FailMode::kCutMidStream ? cut : -1);
}

StatusOr<std::unique_ptr<FakeUpstream>> FakeUpstream::Start(FakeUpstreamOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->pool = std::make_unique<net::IoContextPool>(1);
  impl->events = std::make_unique<net::testing::EventThread>();
  Impl* raw = impl.get();
  net::Router plain;
  // Every route but /health behind the required key, when one is set.
  struct KeyedRouter {
    net::Router& router;
    Impl* raw;
    void Handle(std::string_view method, std::string_view path, net::HttpHandler handler) {
      router.Handle(
          method, path,
          [raw = raw, handler = std::move(handler)](std::shared_ptr<net::HttpExchange> e) {
            const std::string& key = raw->options.required_key;
            if (!key.empty() &&
                e->request().headers.Get("Authorization").value_or("") != "Bearer " + key) {
              raw->unauthorised.fetch_add(1);
              (void)e->Respond(net::HttpResponse::Json(
                  401, R"({"error":{"message":"bad key","type":"invalid_request_error",)"
                       R"("param":null,"code":"invalid_api_key"}})"));
              return;
            }
            handler(std::move(e));
          });
    }
  } router{plain, raw};
  router.Handle("POST", "/v1/chat/completions",
                [raw](std::shared_ptr<net::HttpExchange> e) { raw->Serve(std::move(e), true); });
  router.Handle("POST", "/v1/completions",
                [raw](std::shared_ptr<net::HttpExchange> e) { raw->Serve(std::move(e), false); });
  router.Handle("GET", "/load", [raw](std::shared_ptr<net::HttpExchange> e) {
    raw->polls.fetch_add(1);
    absl::MutexLock lock(&raw->mu);
    if (!raw->healthy) {
      (void)e->Respond(net::HttpResponse::Text(503, "down"));
      return;
    }
    std::string body = raw->load_json;
    if (body.empty()) {
      body = fmt::format(R"({{"model":"{}","running":{},"waiting":0,"kv_usage":0,)"
                         R"("max_running":{},"queue_delay_ms":0}})",
                         raw->options.model, raw->open.load(), raw->options.max_running);
    }
    (void)e->Respond(net::HttpResponse::Json(200, body));
  });
  router.Handle("GET", "/metrics", [raw](std::shared_ptr<net::HttpExchange> e) {
    raw->polls.fetch_add(1);
    absl::MutexLock lock(&raw->mu);
    if (!raw->healthy) {
      (void)e->Respond(net::HttpResponse::Text(503, "down"));
      return;
    }
    (void)e->Respond(net::HttpResponse::Text(200, raw->metrics_text));
  });
  router.Handle("GET", "/v1/models", [raw](std::shared_ptr<net::HttpExchange> e) {
    raw->polls.fetch_add(1);
    (void)e->Respond(net::HttpResponse::Json(
        200, fmt::format(R"({{"object":"list","data":[{{"id":"{}","object":"model"}}]}})",
                         raw->options.model)));
  });
  plain.Handle("GET", "/health", [](std::shared_ptr<net::HttpExchange> e) {
    (void)e->Respond(net::HttpResponse::Json(200, R"({"status":"ok"})"));
  });
  net::HttpServerOptions server_options;
  server_options.pool = impl->pool.get();
  TF_ASSIGN_OR_RETURN(impl->server, net::HttpServer::Start(server_options, std::move(plain)));
  return std::unique_ptr<FakeUpstream>(new FakeUpstream(std::move(impl)));
}

FakeUpstream::FakeUpstream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeUpstream::~FakeUpstream() { Stop(); }

uint16_t FakeUpstream::port() const { return impl_->server->port(); }
std::string FakeUpstream::url() const { return fmt::format("http://127.0.0.1:{}", port()); }

void FakeUpstream::SetFailure(FailMode mode, int cut_after) {
  absl::MutexLock lock(&impl_->mu);
  impl_->fail = mode;
  impl_->cut_after = cut_after;
}
void FakeUpstream::SetLoadJson(std::string json) {
  absl::MutexLock lock(&impl_->mu);
  impl_->load_json = std::move(json);
}
void FakeUpstream::SetMetricsText(std::string text) {
  absl::MutexLock lock(&impl_->mu);
  impl_->metrics_text = std::move(text);
}
void FakeUpstream::SetHealthy(bool healthy) {
  absl::MutexLock lock(&impl_->mu);
  impl_->healthy = healthy;
}

int64_t FakeUpstream::requests() const { return impl_->requests.load(); }
int64_t FakeUpstream::load_polls() const { return impl_->polls.load(); }
int64_t FakeUpstream::unauthorised() const { return impl_->unauthorised.load(); }
int64_t FakeUpstream::open_streams() const { return impl_->open.load(); }
int64_t FakeUpstream::cancelled_streams() const { return impl_->cancelled.load(); }
std::vector<ReceivedRequest> FakeUpstream::received() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->received;
}

void FakeUpstream::Stop() {
  if (impl_ == nullptr || impl_->server == nullptr) return;
  impl_->server->Stop(std::chrono::milliseconds(0));
  impl_->events.reset();
  impl_->server.reset();
  impl_->pool->Stop();
}

}  // namespace tokenfab::gateway::testing
