#include "tokenfab/bench/serve_bench.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/logging.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/net/sse.h"

namespace tokenfab::bench {
namespace {

// How long the dispatcher sleeps at most between looks at the clock, the stop flag and the
// progress display.
constexpr int64_t kPollMicros = 50'000;
// Bytes of an error answer's body kept for the message.
constexpr size_t kErrorBodyBytes = 512;
// Request keys of warm-up prompts, far from the measured ones so they share no blocks.
constexpr uint64_t kWarmupKeyBase = 1ULL << 62;

// The URL of `path` ("/v1/...") on the server at `base`, whose path may already end in "/v1".
net::HttpUrl EndpointUrl(const net::HttpUrl& base, std::string_view path) {
  std::string_view base_path = std::string_view(base.target).substr(0, base.target.find('?'));
  while (!base_path.empty() && base_path.back() == '/') base_path.remove_suffix(1);
  if (base_path.size() >= 3 && base_path.substr(base_path.size() - 3) == "/v1" &&
      path.substr(0, 3) == "/v1") {
    path.remove_prefix(3);
  }
  return base.WithPath(path);
}

std::string ErrorKindFor(const Status& status, bool head_seen) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return head_seen ? "incomplete" : "connect";
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    case absl::StatusCode::kCancelled:
      return "cancelled";
    case absl::StatusCode::kDataLoss:
      return "incomplete";
    default:
      return "other";
  }
}

}  // namespace

struct ServeBench::Impl {
  Impl(ServeBenchOptions options_in, base::Clock& clock_in)
      : options(std::move(options_in)), clock(clock_in) {}

  // What one call's callbacks share; they run one at a time on the call's I/O loop.
  struct CallContext {
    RequestRecord* record = nullptr;
    net::SseParser parser;
    bool head_seen = false;
    std::string error_body;      // of a non-200 answer
    std::string stream_problem;  // first error event or unparsable event
    bool stream_error = false;
    bool bad_event = false;
  };

  Status ResolveModel();
  std::string BuildBody(const PlannedRequest& request, uint64_t key) const;
  std::shared_ptr<net::ClientCall> Send(std::string body, RequestRecord* record);
  void OnData(CallContext& context, std::string_view bytes);
  void OnDone(CallContext& context, const Status& status);

  // Sends requests [0, count) at due_us(i) (clock µs), bodies from body_of(i), at most
  // `concurrency` at once (0: no cap), recording into records[i]. Returns how many were sent;
  // returns once all of those have ended. `*interrupted` tells whether `stop` cut it short.
  int64_t Dispatch(size_t count, const std::function<int64_t(size_t)>& due_us,
                   const std::function<std::string(size_t)>& body_of,
                   std::vector<RequestRecord>& records, int concurrency, Progress* progress,
                   const std::atomic<bool>* stop, bool* interrupted);
  ProgressState Snapshot(int64_t total);

  ServeBenchOptions options;
  base::Clock& clock;
  std::unique_ptr<net::IoContextPool> pool;
  std::unique_ptr<net::HttpClient> client;
  std::optional<RequestBodyBuilder> bodies;
  std::optional<PromptBuilder> prompts;
  net::HttpUrl request_url;
  std::string model;

  absl::Mutex mu;
  absl::CondVar cv;  // signalled when a request ends
  int64_t in_flight ABSL_GUARDED_BY(mu) = 0;
  int64_t done ABSL_GUARDED_BY(mu) = 0;
  int64_t failed ABSL_GUARDED_BY(mu) = 0;
  int64_t output_tokens ABSL_GUARDED_BY(mu) = 0;
};

Status ServeBench::Impl::ResolveModel() {
  net::ClientRequest request;
  request.url = EndpointUrl(options.url, "/v1/models");
  if (!options.api_key.empty()) request.headers.Add("Authorization", "Bearer " + options.api_key);
  StatusOr<net::HttpResponse> response = client->FetchBlocking(request);
  if (!response.ok()) {
    return Status(response.status().code(),
                  fmt::format("no --model given and cannot list the server's models: {}",
                              response.status().message()));
  }
  if (response->status != 200) {
    return absl::FailedPreconditionError(fmt::format("no --model given and GET {} answered {}",
                                                     request.url.target, response->status));
  }
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(response->body, ec);
  const boost::json::value* data =
      !ec && value.is_object() ? value.as_object().if_contains("data") : nullptr;
  if (data != nullptr && data->is_array() && !data->as_array().empty() &&
      data->as_array()[0].is_object()) {
    const boost::json::value* id = data->as_array()[0].as_object().if_contains("id");
    if (id != nullptr && id->is_string()) {
      model = std::string(id->as_string());
      return absl::OkStatus();
    }
  }
  return absl::FailedPreconditionError("no --model given and the server's model list names none");
}

std::string ServeBench::Impl::BuildBody(const PlannedRequest& request, uint64_t key) const {
  if (prompts->options().form == PromptForm::kTokenIds) {
    return bodies->Build(prompts->TokenIds(request.input_tokens, request.hash_ids, key),
                         request.output_tokens);
  }
  return bodies->Build(prompts->Text(request.input_tokens, request.hash_ids, key),
                       request.output_tokens);
}

std::shared_ptr<net::ClientCall> ServeBench::Impl::Send(std::string body, RequestRecord* record) {
  net::ClientRequest request;
  request.method = "POST";
  request.url = request_url;
  request.headers = options.headers;
  request.headers.Set("Content-Type", "application/json");
  request.headers.Set("Accept", "text/event-stream");
  if (!options.api_key.empty()) request.headers.Set("Authorization", "Bearer " + options.api_key);
  request.body = std::move(body);
  auto context = std::make_shared<CallContext>();
  context->record = record;
  net::StreamCallbacks callbacks;
  callbacks.on_head = [context](int status, const net::HttpHeaders&) {
    context->head_seen = true;
    context->record->http_status = status;
  };
  callbacks.on_data = [this, context](std::string_view bytes) { OnData(*context, bytes); };
  callbacks.on_done = [this, context](Status status) { OnDone(*context, status); };
  record->sent_us = clock.NowMicros();
  return client->Stream(std::move(request), std::move(callbacks));
}

void ServeBench::Impl::OnData(CallContext& context, std::string_view bytes) {
  RequestRecord& record = *context.record;
  if (record.http_status != 200) {
    const size_t room = kErrorBodyBytes - std::min(kErrorBodyBytes, context.error_body.size());
    context.error_body.append(bytes.substr(0, room));
    return;
  }
  const int64_t now = clock.NowMicros();
  const Status parsed = context.parser.Feed(bytes, [&](net::SseEvent&& event) {
    StatusOr<StreamChunk> chunk = ParseStreamChunk(event.data, options.body.endpoint);
    if (!chunk.ok()) {
      if (!context.bad_event) context.stream_problem = std::string(chunk.status().message());
      context.bad_event = true;
      return;
    }
    if (chunk->error.has_value()) {
      if (!context.stream_error) context.stream_problem = *chunk->error;
      context.stream_error = true;
    }
    if (chunk->content) {
      if (record.first_token_us < 0) {
        record.first_token_us = now;
      } else {
        record.itl_us.push_back(now - record.last_token_us);
      }
      record.last_token_us = now;
      ++record.content_chunks;
    }
    if (chunk->prompt_tokens.has_value()) record.prompt_tokens = chunk->prompt_tokens;
    if (chunk->completion_tokens.has_value()) record.completion_tokens = chunk->completion_tokens;
    if (chunk->cached_tokens.has_value()) record.cached_tokens = chunk->cached_tokens;
  });
  if (!parsed.ok() && !context.bad_event) {
    context.bad_event = true;
    context.stream_problem = std::string(parsed.message());
  }
}

void ServeBench::Impl::OnDone(CallContext& context, const Status& status) {
  RequestRecord& record = *context.record;
  record.end_us = clock.NowMicros();
  if (!status.ok()) {
    record.error_kind = ErrorKindFor(status, context.head_seen);
    record.error_message = std::string(status.message());
  } else if (record.http_status != 200) {
    record.error_kind = fmt::format("http_{}", record.http_status);
    record.error_message = context.error_body;
  } else if (context.stream_error) {
    record.error_kind = "stream_error";
    record.error_message = context.stream_problem;
  } else if (context.bad_event) {
    record.error_kind = "bad_event";
    record.error_message = context.stream_problem;
  } else if (record.content_chunks == 0) {
    record.error_kind = "empty_response";
    record.error_message = "the stream ended without any generated text";
  }
  {
    absl::MutexLock lock(&mu);
    --in_flight;
    ++done;
    if (!record.ok()) {
      ++failed;
    } else {
      output_tokens += record.OutputTokens();
    }
  }
  cv.SignalAll();
}

ProgressState ServeBench::Impl::Snapshot(int64_t total) {
  absl::MutexLock lock(&mu);
  return ProgressState{done, failed, in_flight, total, output_tokens};
}

int64_t ServeBench::Impl::Dispatch(size_t count, const std::function<int64_t(size_t)>& due_us,
                                   const std::function<std::string(size_t)>& body_of,
                                   std::vector<RequestRecord>& records, int concurrency,
                                   Progress* progress, const std::atomic<bool>* stop,
                                   bool* interrupted) {
  const auto stopped = [stop] { return stop != nullptr && stop->load(); };
  const auto show = [&](bool force) {
    if (progress != nullptr) progress->Update(Snapshot(static_cast<int64_t>(count)), force);
  };
  std::vector<std::shared_ptr<net::ClientCall>> calls;
  calls.reserve(count);
  int64_t sent = 0;
  for (size_t i = 0; i < count && !stopped(); ++i) {
    std::string body = body_of(i);  // built before waiting, so it costs no time at the due time
    const int64_t due = due_us(i);
    while (!stopped()) {
      const int64_t now = clock.NowMicros();
      if (now >= due) break;
      {
        absl::MutexLock lock(&mu);
        cv.WaitWithTimeout(&mu, absl::Microseconds(std::min(due - now, kPollMicros)));
      }
      show(false);
    }
    mu.Lock();
    while (concurrency > 0 && in_flight >= concurrency && !stopped()) {
      cv.WaitWithTimeout(&mu, absl::Microseconds(kPollMicros));
      mu.Unlock();
      show(false);
      mu.Lock();
    }
    if (stopped()) {
      mu.Unlock();
      break;
    }
    ++in_flight;
    mu.Unlock();
    records[i].scheduled_us = due;
    calls.push_back(Send(std::move(body), &records[i]));
    ++sent;
  }
  bool cancelled = false;
  mu.Lock();
  while (done < sent) {
    if (stopped() && !cancelled) {
      cancelled = true;
      mu.Unlock();
      for (const auto& call : calls) call->Cancel();
      mu.Lock();
      continue;
    }
    cv.WaitWithTimeout(&mu, absl::Microseconds(kPollMicros));
    mu.Unlock();
    show(false);
    mu.Lock();
  }
  mu.Unlock();
  *interrupted = stopped();
  return sent;
}

ServeBench::ServeBench(ServeBenchOptions options, base::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {}

ServeBench::~ServeBench() {
  impl_->client.reset();
  impl_->pool.reset();
}

const std::string& ServeBench::model() const { return impl_->model; }

std::string ServeBench::RequestUrl() const {
  return fmt::format("{}://{}{}", impl_->request_url.scheme, impl_->request_url.HostPort(),
                     impl_->request_url.target);
}

Status ServeBench::Prepare() {
  Impl& impl = *impl_;
  const ServeBenchOptions& options = impl.options;
  if (options.concurrency < 0) return absl::InvalidArgumentError("concurrency must be >= 0");
  if (options.warmup < 0) return absl::InvalidArgumentError("warm-up must be >= 0");
  if (options.prompt.form == PromptForm::kTokenIds &&
      options.body.endpoint == api::Endpoint::kChatCompletions) {
    return absl::InvalidArgumentError(
        "token-id prompts need the completions endpoint (chat messages are text)");
  }
  if (options.prompt.token_id_min < 0 ||
      options.prompt.token_id_min >= options.prompt.token_id_max) {
    return absl::InvalidArgumentError("the token id range must be 0 <= min < max");
  }
  impl.pool = std::make_unique<net::IoContextPool>(std::max(options.io_threads, 1));
  net::HttpClientOptions client_options;
  client_options.connect_timeout = std::chrono::milliseconds(10'000);
  client_options.total_timeout = std::chrono::milliseconds(options.request_timeout_ms);
  client_options.max_idle_connections_per_upstream = 1 << 16;
  client_options.tls.ca_file = options.tls_ca_file;
  impl.client = std::make_unique<net::HttpClient>(*impl.pool, client_options);
  impl.request_url = EndpointUrl(options.url, api::EndpointPath(options.body.endpoint));
  impl.model = options.body.model;
  if (impl.model.empty()) TF_RETURN_IF_ERROR(impl.ResolveModel());
  RequestBodyOptions body_options = options.body;
  body_options.model = impl.model;
  TF_ASSIGN_OR_RETURN(RequestBodyBuilder bodies, RequestBodyBuilder::Create(body_options));
  impl.bodies.emplace(std::move(bodies));
  impl.prompts.emplace(options.prompt);
  return absl::OkStatus();
}

StatusOr<ServeBenchResult> ServeBench::Run(const std::vector<PlannedRequest>& plan,
                                           Progress* progress, const std::atomic<bool>* stop) {
  Impl& impl = *impl_;
  if (!impl.bodies.has_value()) return absl::FailedPreconditionError("Prepare() was not called");
  ServeBenchResult result;
  bool interrupted = false;
  {
    absl::MutexLock lock(&impl.mu);
    impl.in_flight = impl.done = impl.failed = impl.output_tokens = 0;
  }

  if (impl.options.warmup > 0 && !plan.empty()) {
    const size_t count = static_cast<size_t>(impl.options.warmup);
    std::vector<RequestRecord> warmup(count);
    const int concurrency = impl.options.concurrency > 0
                                ? std::min(impl.options.concurrency, impl.options.warmup)
                                : impl.options.warmup;
    impl.Dispatch(
        count, [&](size_t) { return impl.clock.NowMicros(); },
        [&](size_t i) {
          PlannedRequest shape = plan[i % plan.size()];
          shape.hash_ids.clear();  // its own blocks: warm-up must not fill the prefix cache
          return impl.BuildBody(shape, kWarmupKeyBase + i);
        },
        warmup, concurrency, nullptr, stop, &interrupted);
    for (const RequestRecord& record : warmup) result.warmup_failed += record.ok() ? 0 : 1;
    if (result.warmup_failed == impl.options.warmup && !interrupted) {
      const RequestRecord& first = warmup.front();
      return absl::UnavailableError(fmt::format("all {} warm-up requests failed; the first: {} {}",
                                                count, first.error_kind,
                                                first.error_message.substr(0, 300)));
    }
    absl::MutexLock lock(&impl.mu);
    impl.done = impl.failed = impl.output_tokens = 0;
  }

  result.records.resize(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    result.records[i].index = static_cast<int64_t>(i);
    result.records[i].expected_input_tokens = plan[i].input_tokens;
    result.records[i].expected_output_tokens = plan[i].output_tokens;
  }
  const int64_t start_us = impl.clock.NowMicros();
  int64_t sent = 0;
  if (!interrupted) {
    sent = impl.Dispatch(
        plan.size(), [&](size_t i) { return start_us + plan[i].arrival_us; },
        [&](size_t i) { return impl.BuildBody(plan[i], i); }, result.records,
        impl.options.concurrency, progress, stop, &interrupted);
  }
  result.records.resize(static_cast<size_t>(sent));
  result.interrupted = interrupted;
  int64_t end_us = start_us + 1;
  for (const RequestRecord& record : result.records) end_us = std::max(end_us, record.end_us);
  result.duration_s = static_cast<double>(end_us - start_us) / 1e6;
  if (progress != nullptr) progress->Finish(impl.Snapshot(static_cast<int64_t>(plan.size())));
  return result;
}

}  // namespace tokenfab::bench
