// TestClient: a blocking OpenAI-API client for the gateway's tests, on the net layer's HTTP
// client: posts a request, reads the answer to its end (server-sent events or a whole body) and
// tells what a client saw: status, headers, every event, the text, the usage chunk, [DONE].
// It can leave early (after some events) to test that a departing client stops the upstream.
// Thread-safe: Post may be called from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/http_message.h"
#include "tokenfab/net/io_context_pool.h"

namespace tokenfab::gateway::testing {

struct SeenUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
};

struct ClientResult {
  int status = 0;
  net::HttpHeaders headers;
  std::vector<std::string> events;  // data of every SSE event, in order
  std::string body;                 // a whole (non-SSE) answer
  Status done;                      // how the HTTP call ended

  bool saw_done() const;  // the last event is [DONE]
  // Content of the answer: every event's delta.content / text, or the whole answer's message.
  std::string text() const;
  // The usage the answer reported (a usage chunk, or the whole answer's usage).
  std::optional<SeenUsage> usage() const;
  // An `error` object's message in the events or body.
  std::optional<std::string> error() const;
  std::string header(std::string_view name) const {
    return std::string(headers.Get(name).value_or(""));
  }
};

struct PostOptions {
  std::string api_key{};        // sent as Bearer when not empty
  net::HttpHeaders headers{};   // more fields (Content-Type: application/json unless given)
  int leave_after_events = -1;  // cancel the call after this many events; -1: read to the end
  std::chrono::milliseconds timeout{30'000};
};

class TestClient {
 public:
  TestClient();
  ~TestClient();

  // POSTs `body` to http://127.0.0.1:port`path`.
  ClientResult Post(uint16_t port, std::string_view path, std::string body,
                    const PostOptions& options);
  // GET, whole answer.
  ClientResult Get(uint16_t port, std::string_view path, const std::string& api_key = "");

 private:
  std::unique_ptr<net::IoContextPool> pool_;
  std::unique_ptr<net::HttpClient> client_;
};

// A chat request body: one user message, streamed or not, with optional include_usage.
std::string ChatBody(std::string_view model, std::string_view content, bool stream,
                     bool include_usage = false, int max_tokens = 0);

// A completions request body: one text prompt.
std::string CompletionBody(std::string_view model, std::string_view prompt, bool stream,
                           bool include_usage = false, int max_tokens = 0);

}  // namespace tokenfab::gateway::testing
