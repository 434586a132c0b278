// Micro-benchmarks of the net layer over loopback: a keep-alive request round trip, request
// throughput from several callers, and the hop of one streamed event from a producer thread to
// the client callback.

#include <benchmark/benchmark.h>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/http_server.h"

namespace tokenfab::net {
namespace {

// One server (2 loops) and one client pool (2 loops), shared by every benchmark.
struct Fixture {
  Fixture() {
    Router router;
    router.Handle("GET", "/hello", [](std::shared_ptr<HttpExchange> exchange) {
      (void)exchange->Respond(HttpResponse::Text(200, "hello"));
    });
    router.Handle("GET", "/stream", [this](std::shared_ptr<HttpExchange> exchange) {
      (void)exchange->StartSse();
      absl::MutexLock lock(&mu);
      stream = exchange;
      cv.SignalAll();
    });
    HttpServerOptions options;
    options.io_threads = 2;
    auto started = HttpServer::Start(options, std::move(router));
    TF_CHECK(started.ok()) << started.status();
    server = std::move(started).value();
    client = std::make_unique<HttpClient>(client_pool);
  }

  ClientRequest Get(std::string_view path) const {
    ClientRequest request;
    request.url.host = "127.0.0.1";
    request.url.port = server->port();
    request.url.target = std::string(path);
    return request;
  }

  IoContextPool client_pool{2};
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpClient> client;
  absl::Mutex mu;
  absl::CondVar cv;
  std::shared_ptr<HttpExchange> stream ABSL_GUARDED_BY(mu);
};

Fixture& Shared() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void BM_KeepAliveRoundTrip(benchmark::State& state) {
  Fixture& f = Shared();
  ClientRequest request = f.Get("/hello");
  request.loop = static_cast<int>(state.thread_index()) % 2;
  for (auto _ : state) {
    auto response = f.client->FetchBlocking(request);
    if (!response.ok() || response->status != 200) state.SkipWithError("request failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeepAliveRoundTrip)->UseRealTime()->Threads(1)->Threads(4)->Threads(16);

// A producer thread writes one SSE event; the client's callback wakes it for the next one.
void BM_StreamEventHop(benchmark::State& state) {
  Fixture& f = Shared();
  absl::Mutex mu;
  absl::CondVar cv;
  int64_t received = 0;
  StreamCallbacks callbacks;
  callbacks.on_data = [&](std::string_view) {
    absl::MutexLock lock(&mu);
    ++received;
    cv.SignalAll();
  };
  auto call = f.client->Stream(f.Get("/stream"), callbacks);
  std::shared_ptr<HttpExchange> exchange;
  {
    absl::MutexLock lock(&f.mu);
    while (f.stream == nullptr) f.cv.Wait(&f.mu);
    exchange = std::move(f.stream);
  }
  int64_t sent = 0;
  for (auto _ : state) {
    (void)exchange->WriteSseData(R"({"choices":[{"text":"tok"}]})");
    ++sent;
    absl::MutexLock lock(&mu);
    while (received != sent) cv.Wait(&mu);
  }
  (void)exchange->Finish();
  call->Cancel();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamEventHop)->UseRealTime();

}  // namespace
}  // namespace tokenfab::net

BENCHMARK_MAIN();
