// FakeUpstream: a real OpenAI-compatible HTTP server (on the net layer) for the gateway's tests:
// /v1/chat/completions and /v1/completions, streamed (SSE, with the usage chunk when asked for
// stream_options.include_usage) or whole, answering a fixed number of tokens at a fixed pace;
// GET /load (the tokenfab node format) and /metrics (a given Prometheus text), /v1/models,
// /health. Failures on demand: 500 or 400 before the answer, a stream cut after some chunks, an
// answer that never comes.
//
// It records what it received (headers and bodies) and counts cancelled streams, so tests can
// check what the gateway sent and that a client's departure reached the upstream.
//
// Thread-safe. The server runs on its own I/O loop; chunks are paced by its own timer thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/net/http_message.h"
#include "tokenfab/net/http_server.h"

namespace tokenfab::gateway::testing {

struct FakeUpstreamOptions {
  std::string model = "m";
  int tokens = 8;  // completion tokens per answer (fewer when max_tokens says so)
  std::chrono::microseconds token_interval{0};  // between two content chunks
  bool report_usage = true;                     // honour include_usage / put usage in answers
  int cached_tokens = 0;                        // reported as usage.prompt_tokens_details
  std::string name = "fake";                    // written into each token's text
  int max_running = 64;                         // the slot limit the default GET /load reports
  // When set, every route but /health answers 401 without `Authorization: Bearer <required_key>`
  // (an upstream started with --api-key); unauthorised calls are counted.
  std::string required_key{};
};

enum class FailMode {
  kNone,
  kStatus500,       // answers 500 with an OpenAI error body
  kStatus400,       // answers 400 (the request is at fault)
  kCutMidStream,    // streams `cut_after` content chunks, then drops the connection
  kNeverAnswer,     // keeps the request open without a byte
};

struct ReceivedRequest {
  std::string path;
  net::HttpHeaders headers;
  std::string body;
};

class FakeUpstream {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<FakeUpstream>> Start(FakeUpstreamOptions options);
  ~FakeUpstream();

  uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"

  void SetFailure(FailMode mode, int cut_after = 0);
  // The body of GET /load; empty: one made from the streams open now.
  void SetLoadJson(std::string json);
  // The body of GET /metrics.
  void SetMetricsText(std::string text);
  // GET /load and /metrics answer 503 while unhealthy.
  void SetHealthy(bool healthy);

  // The prompt tokens reported for a request: words of its prompt text (split on whitespace).
  static int64_t CountPromptWords(std::string_view body);
  // The text of token i of an answer.
  std::string TokenText(int i) const;

  int64_t requests() const;           // inference requests received
  int64_t load_polls() const;         // GET /load and /metrics received
  int64_t unauthorised() const;       // calls refused for a missing or wrong required_key
  int64_t open_streams() const;       // answers in progress
  int64_t cancelled_streams() const;  // answers stopped because the peer went away
  std::vector<ReceivedRequest> received() const;

  void Stop();

 private:
  struct Impl;
  struct Streamer;
  explicit FakeUpstream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::gateway::testing
