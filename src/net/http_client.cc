#include "tokenfab/net/http_client.h"

#include <future>
#include <vector>

#include <boost/asio/post.hpp>

#include "client_call.h"
#include "http_client_core.h"
#include "io_context_pool_internal.h"
#include "tokenfab/base/check.h"

namespace tokenfab::net {

StreamCallbacks SseCallbacks(std::function<void(int, const HttpHeaders&)> on_head,
                             std::function<void(SseEvent&&)> on_event,
                             std::function<void(Status)> on_done, size_t max_event_bytes) {
  struct Shared {
    explicit Shared(size_t limit) : parser(limit) {}
    SseParser parser;
    Status status;  // the first parse error
  };
  auto shared = std::make_shared<Shared>(max_event_bytes);
  StreamCallbacks callbacks;
  callbacks.on_head = std::move(on_head);
  callbacks.on_data = [shared, on_event = std::move(on_event)](std::string_view data) {
    if (!shared->status.ok()) return;
    shared->status = shared->parser.Feed(data, [&](SseEvent&& event) {
      if (on_event) on_event(std::move(event));
    });
  };
  callbacks.on_done = [shared, on_done = std::move(on_done)](Status status) {
    if (status.ok() && !shared->status.ok()) status = shared->status;
    if (on_done) on_done(std::move(status));
  };
  return callbacks;
}

HttpClient::HttpClient(IoContextPool& pool, HttpClientOptions options)
    : core_(std::make_shared<Core>(&pool.impl(), std::move(options))) {}

HttpClient::~HttpClient() {
  core_->closed.store(true, std::memory_order_relaxed);
  IoContextPool::Impl* pool = core_->pool;
  if (pool->stopped()) return;
  TF_CHECK(pool->CurrentLoop() < 0) << "HttpClient destroyed on one of its pool's threads";
  // Close the idle connections on their own loops (their sockets belong to those threads).
  std::vector<std::future<void>> done;
  for (int loop = 0; loop < pool->size(); ++loop) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(pool->context(loop), [core = core_, loop, promise] {
      core->loops[loop].idle.clear();
      core->loops[loop].resolved.clear();
      promise->set_value();
    });
  }
  for (auto& future : done) future.wait();
}

std::shared_ptr<ClientCall> HttpClient::Stream(ClientRequest request, StreamCallbacks callbacks) {
  return StartCall(core_, std::move(request), std::move(callbacks), 0);
}

std::shared_ptr<ClientCall> HttpClient::Fetch(ClientRequest request,
                                              std::function<void(StatusOr<HttpResponse>)> done) {
  auto response = std::make_shared<HttpResponse>();
  StreamCallbacks callbacks;
  callbacks.on_head = [response](int status, const HttpHeaders& headers) {
    response->status = status;
    response->headers = headers;
  };
  callbacks.on_data = [response](std::string_view data) { response->body.append(data); };
  callbacks.on_done = [response, done = std::move(done)](Status status) {
    if (!status.ok()) {
      done(std::move(status));
    } else {
      done(std::move(*response));
    }
  };
  return StartCall(core_, std::move(request), std::move(callbacks),
                   core_->options.max_response_body_bytes);
}

StatusOr<HttpResponse> HttpClient::FetchBlocking(ClientRequest request) {
  TF_CHECK(core_->pool->CurrentLoop() < 0) << "FetchBlocking called on an I/O loop";
  std::promise<StatusOr<HttpResponse>> promise;
  std::future<StatusOr<HttpResponse>> future = promise.get_future();
  Fetch(std::move(request),
        [&promise](StatusOr<HttpResponse> response) { promise.set_value(std::move(response)); });
  return future.get();
}

Status HttpClient::tls_status() const { return core_->tls.status(); }

HttpClientStats HttpClient::stats() const {
  HttpClientStats stats;
  stats.calls = core_->calls.load(std::memory_order_relaxed);
  stats.connections_opened = core_->connections_opened.load(std::memory_order_relaxed);
  stats.connections_reused = core_->connections_reused.load(std::memory_order_relaxed);
  stats.retries = core_->retries.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace tokenfab::net
