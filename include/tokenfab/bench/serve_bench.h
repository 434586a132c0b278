// ServeBench: the load generator behind `tokenfab bench serve`. It sends a planned workload to
// any OpenAI-compatible server (streaming, with usage), at the planned times, under an optional
// concurrency cap, after an optional warm-up, and records for every request when it was sent,
// when each content chunk arrived and how it ended.
//
// Timing: all timestamps come from the injected Clock, taken on the I/O thread the moment bytes
// are read. TTFT is measured from the moment a request is sent; when the concurrency cap delays
// a request past its planned time, that delay is recorded separately (queue delay).
//
// Threads: Run() blocks its caller (the dispatcher); the HTTP calls run on the bench's own
// I/O loops. Not thread-safe: one Run() at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/bench/openai_protocol.h"
#include "tokenfab/bench/progress.h"
#include "tokenfab/bench/prompt_builder.h"
#include "tokenfab/bench/request_record.h"
#include "tokenfab/bench/workload.h"
#include "tokenfab/net/http_message.h"
#include "tokenfab/net/http_url.h"

namespace tokenfab::bench {

struct ServeBenchOptions {
  net::HttpUrl url;  // the server; the endpoint path is appended (after any "/v1" it ends with)
  RequestBodyOptions body;  // endpoint, model (empty: the first of GET /v1/models), ...
  PromptOptions prompt;
  std::string api_key;                   // sent as `Authorization: Bearer ...` when not empty
  net::HttpHeaders headers;              // more fields for every request
  int concurrency = 0;                   // most requests in flight at once; 0: no cap
  int warmup = 0;                        // requests sent (and discarded) before the measured run
  int64_t request_timeout_ms = 600'000;  // per request, send to last byte; 0: none
  int io_threads = 2;
  std::string tls_ca_file;  // CAs trusted for an https:// url; empty: the system trust store
};

struct ServeBenchResult {
  std::vector<RequestRecord> records;  // the measured requests that were sent, in plan order
  double duration_s = 0;               // first planned arrival to the last request's end
  int warmup_failed = 0;
  bool interrupted = false;  // stopped early by the stop flag
};

class ServeBench {
 public:
  ServeBench(ServeBenchOptions options, base::Clock& clock);
  ~ServeBench();
  ServeBench(const ServeBench&) = delete;
  ServeBench& operator=(const ServeBench&) = delete;

  // Checks the options, builds the request template and, without a model name, asks the
  // server for one. Call once before Run().
  [[nodiscard]] Status Prepare();
  // The model the requests name (after Prepare()).
  const std::string& model() const;
  // The full URL requests go to.
  std::string RequestUrl() const;

  // Runs the warm-up, then `plan`. Reports progress to `progress` when not null; stops early
  // (cancelling requests in flight) when `*stop` becomes true. Errors: every warm-up request
  // failed (the server is not usable; the message says why).
  [[nodiscard]] StatusOr<ServeBenchResult> Run(const std::vector<PlannedRequest>& plan,
                                               Progress* progress, const std::atomic<bool>* stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::bench
