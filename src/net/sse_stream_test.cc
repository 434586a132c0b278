// End-to-end streaming over loopback: a server handler producing server-sent events from another
// thread (as the engine does), read by the HttpClient or a raw socket.
#include <atomic>
#include <future>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_util.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/http_server.h"
#include "tokenfab/net/sse.h"

namespace tokenfab::net {
namespace {

using testing::EventThread;
using testing::RawConnection;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Streams `count` events `gap` apart from `events`, then "[DONE]", stopping when cancelled.
void StreamEvents(EventThread& events, std::shared_ptr<HttpExchange> exchange, int index, int count,
                  std::chrono::microseconds gap) {
  if (exchange->cancelled()) return;
  if (index == count) {
    (void)exchange->WriteSseData("[DONE]");
    (void)exchange->Finish();
    return;
  }
  if (!exchange->WriteSseData(fmt::format("{{\"index\":{}}}", index)).ok()) return;
  events.RunAfter(gap, [&events, exchange, index, count, gap] {
    StreamEvents(events, exchange, index + 1, count, gap);
  });
}

class SseStreamTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.io_threads = 2;
    Router router;
    router.Handle("GET", "/events", [this](std::shared_ptr<HttpExchange> exchange) {
      const int count = std::stoi(std::string(exchange->request().query()));
      (void)exchange->StartSse();
      events_.Run([this, exchange, count] { StreamEvents(events_, exchange, 0, count, gap_); });
    });
    router.Handle("GET", "/watched", [this](std::shared_ptr<HttpExchange> exchange) {
      // Streams one event, then waits; reports when and why it was cancelled.
      exchange->cancellation().Subscribe([this](CancelReason reason) {
        cancelled_at_ = SteadyClock::now();
        cancel_reason_.set_value(reason);
      });
      (void)exchange->StartSse();
      (void)exchange->WriteSseData("first");
      held_ = exchange;
    });
    router.Handle("GET", "/flood", [this](std::shared_ptr<HttpExchange> exchange) {
      // Writes 64 KiB events until the stream refuses: the client does not read.
      exchange->cancellation().Subscribe(
          [this](CancelReason reason) { cancel_reason_.set_value(reason); });
      (void)exchange->StartSse();
      events_.Run([this, exchange] { Flood(exchange); });
    });
    router.Handle("GET", "/relay", [](std::shared_ptr<HttpExchange> exchange) {
      // Writes 8 MiB in 32 KiB pieces, never more than 256 KiB ahead of the socket.
      (void)exchange->StartStream(200, {{"Content-Type", "application/octet-stream"}});
      auto offset = std::make_shared<size_t>(0);
      auto pump = std::make_shared<std::function<void()>>();
      *pump = [exchange, offset, weak = std::weak_ptr<std::function<void()>>(pump)] {
        constexpr size_t kTotal = 8 << 20, kPiece = 32 << 10, kHighWater = 256 << 10;
        while (*offset < kTotal && exchange->buffered_bytes() < kHighWater) {
          std::string piece(kPiece, static_cast<char>('a' + (*offset / kPiece) % 26));
          if (!exchange->Write(piece).ok()) return;  // would fail the test: bytes missing
          *offset += kPiece;
        }
        if (*offset == kTotal) {
          (void)exchange->Finish();
        } else if (auto self = weak.lock()) {
          exchange->OnDrained([self] { (*self)(); });
        }
      };
      // The pump stays alive through the OnDrained callback it leaves while it waits (the
      // server drops that callback when the exchange ends, so nothing cycles).
      (*pump)();
    });
    auto server = HttpServer::Start(std::move(options), std::move(router));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  void Flood(std::shared_ptr<HttpExchange> exchange) {
    const std::string big = FormatSseData(std::string(64 << 10, 'x'));
    while (true) {
      const Status status = exchange->Write(big);
      if (absl::IsCancelled(status)) return;
      if (absl::IsResourceExhausted(status)) {
        flood_refused_ = true;
        events_.RunAfter(5ms, [this, exchange] { Flood(exchange); });
        return;
      }
    }
  }

  void TearDown() override {
    server_->Stop();
    held_.reset();
  }

  ClientRequest Request(std::string target) {
    ClientRequest request;
    request.url.host = "127.0.0.1";
    request.url.port = server_->port();
    request.url.target = std::move(target);
    return request;
  }

  EventThread events_;
  std::chrono::microseconds gap_ = 1ms;
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<HttpExchange> held_;
  std::promise<CancelReason> cancel_reason_;
  SteadyClock::time_point cancelled_at_;
  std::atomic<bool> flood_refused_{false};
};

// Collects one SSE stream through the HttpClient.
struct StreamResult {
  std::vector<std::string> data;
  int status = 0;
  std::string content_type;
  Status done = absl::UnknownError("not done");
};

std::shared_ptr<ClientCall> StartCollecting(HttpClient& client, ClientRequest request,
                                            std::shared_ptr<StreamResult> result,
                                            std::function<void()> on_done) {
  return client.Stream(
      std::move(request),
      SseCallbacks(
          [result](int status, const HttpHeaders& headers) {
            result->status = status;
            result->content_type = std::string(headers.Get("Content-Type").value_or(""));
          },
          [result](SseEvent&& event) { result->data.push_back(std::move(event.data)); },
          [result, on_done = std::move(on_done)](Status status) {
            result->done = status;
            on_done();
          }));
}

TEST_F(SseStreamTest, StreamsEventsProducedOnAnotherThread) {
  StartServer();
  IoContextPool pool(1);
  HttpClient client(pool);
  auto result = std::make_shared<StreamResult>();
  std::promise<void> done;
  StartCollecting(client, Request("/events?50"), result, [&] { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(30s), std::future_status::ready);
  ASSERT_TRUE(result->done.ok()) << result->done;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->content_type, "text/event-stream");
  ASSERT_EQ(result->data.size(), 51u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(result->data[i], fmt::format("{{\"index\":{}}}", i));
  EXPECT_EQ(result->data.back(), "[DONE]");
}

TEST_F(SseStreamTest, OversizedEventFailsTheCall) {
  StartServer();
  IoContextPool pool(1);
  HttpClient client(pool);
  std::promise<Status> done;
  int events = 0;
  client.Stream(Request("/events?5"), SseCallbacks(
                                          nullptr, [&](SseEvent&&) { ++events; },
                                          [&](Status status) { done.set_value(status); },
                                          /*max_event_bytes=*/8));  // "{\"index\":0}" is 11 bytes
  auto status = done.get_future();
  ASSERT_EQ(status.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(status.get().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(events, 0);
}

TEST_F(SseStreamTest, Http10ClientGetsTheStreamUntilClose) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /events?3 HTTP/1.0\r\n\r\n"));
  auto response = connection.ReadResponse();  // no length, not chunked: read until close
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->chunked);
  EXPECT_EQ(response->headers.Get("Connection"), "close");
  EXPECT_EQ(response->body,
            "data: {\"index\":0}\n\ndata: {\"index\":1}\n\ndata: {\"index\":2}\n\n"
            "data: [DONE]\n\n");
}

TEST_F(SseStreamTest, ClientDisconnectIsSeenWithinMilliseconds) {
  StartServer();
  for (bool reset : {false, true}) {
    cancel_reason_ = {};
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.Send("GET /watched HTTP/1.1\r\nHost: x\r\n\r\n"));
    // Read up to the first event so the handler surely runs, then hang up.
    std::promise<SteadyClock::time_point> closed;
    std::thread reader([&] {
      (void)connection.ReadChunkedStream([&](std::string_view) {
        const auto now = SteadyClock::now();
        connection.Close(reset);  // also ends this read, with an error
        closed.set_value(now);
      });
    });
    auto closed_future = closed.get_future();
    ASSERT_EQ(closed_future.wait_for(10s), std::future_status::ready);
    const auto closed_at = closed_future.get();
    auto reason = cancel_reason_.get_future();
    ASSERT_EQ(reason.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(reason.get(), CancelReason::kClientDisconnected);
    const auto latency =
        std::chrono::duration_cast<std::chrono::microseconds>(cancelled_at_ - closed_at);
    std::printf("disconnect (%s) seen by the handler after %lld us\n", reset ? "RST" : "FIN",
                static_cast<long long>(latency.count()));
    // Typically well under a millisecond; the bound only guards against a missed signal on a
    // loaded machine.
    EXPECT_LT(latency, 2s);
    reader.join();
    // Writes after the disconnect are refused.
    EXPECT_TRUE(absl::IsCancelled(held_->WriteSseData("late")));
    held_.reset();
  }
  EXPECT_EQ(server_->stats().client_disconnects, 2);
}

TEST_F(SseStreamTest, CancellingTheClientCallCancelsTheServerHandler) {
  StartServer();
  IoContextPool pool(1);
  HttpClient client(pool);
  auto result = std::make_shared<StreamResult>();
  std::promise<void> done;
  std::promise<std::shared_ptr<ClientCall>> call_promise;
  auto call_future = call_promise.get_future().share();
  StreamCallbacks callbacks;
  callbacks.on_data = [&](std::string_view) { call_future.get()->Cancel(); };
  callbacks.on_done = [&](Status status) {
    result->done = status;
    done.set_value();
  };
  call_promise.set_value(client.Stream(Request("/watched"), callbacks));
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(absl::IsCancelled(result->done)) << result->done;
  auto reason = cancel_reason_.get_future();
  ASSERT_EQ(reason.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(reason.get(), CancelReason::kClientDisconnected);
}

TEST_F(SseStreamTest, ClientThatStopsReadingIsCutOffAfterTheWriteTimeout) {
  HttpServerOptions options;
  options.write_timeout = 200ms;
  options.max_stream_buffer_bytes = 1 << 20;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Never read: the kernel buffers fill, the write blocks, the write timeout fires.
  auto reason = cancel_reason_.get_future();
  ASSERT_EQ(reason.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(reason.get(), CancelReason::kClientDisconnected);
  EXPECT_TRUE(flood_refused_.load());  // the stream buffer limit held before that
}

TEST_F(SseStreamTest, ProducerFollowingBackpressureDeliversEverything) {
  StartServer();
  IoContextPool pool(1);
  HttpClient client(pool);
  std::string body;
  std::promise<Status> done;
  StreamCallbacks callbacks;
  callbacks.on_data = [&](std::string_view data) { body.append(data); };
  callbacks.on_done = [&](Status status) { done.set_value(status); };
  client.Stream(Request("/relay"), callbacks);
  auto status = done.get_future();
  ASSERT_EQ(status.wait_for(60s), std::future_status::ready);
  ASSERT_TRUE(status.get().ok());
  ASSERT_EQ(body.size(), 8u << 20);
  for (size_t i = 0; i < body.size(); i += 32 << 10) {
    ASSERT_EQ(body[i], static_cast<char>('a' + (i / (32 << 10)) % 26)) << i;
  }
}

TEST_F(SseStreamTest, ThousandConcurrentStreamsComplete) {
  ASSERT_GE(testing::RaiseOpenFileLimit(), 2200u) << "needs ~2000 descriptors for 1000 streams";
  HttpServerOptions options;
  gap_ = 5ms;
  StartServer(options);
  IoContextPool pool(2);
  HttpClient client(pool);
  constexpr int kStreams = 1000;
  constexpr int kEvents = 20;
  std::vector<std::shared_ptr<StreamResult>> results;
  std::atomic<int> remaining{kStreams};
  std::promise<void> all_done;
  const auto start = SteadyClock::now();
  for (int i = 0; i < kStreams; ++i) {
    results.push_back(std::make_shared<StreamResult>());
    StartCollecting(client, Request(fmt::format("/events?{}", kEvents)), results.back(), [&] {
      if (--remaining == 0) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(120s), std::future_status::ready)
      << remaining.load() << " streams unfinished";
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  int ok = 0;
  for (const auto& result : results) {
    if (result->done.ok() && result->data.size() == kEvents + 1 &&
        result->data.back() == "[DONE]") {
      ++ok;
    }
  }
  EXPECT_EQ(ok, kStreams);
  EXPECT_EQ(server_->stats().connections_accepted, kStreams);
  std::printf("%d concurrent streams x %d events in %.2f s (each stream lasts >= %d ms)\n",
              kStreams, kEvents, seconds, kEvents * 5);
}

}  // namespace
}  // namespace tokenfab::net
