#include "tokenfab/net/http_server.h"

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "test_util.h"
#include "tokenfab/net/http_exchange.h"

namespace tokenfab::net {
namespace {

using testing::EventThread;
using ::testing::HasSubstr;
using testing::RawConnection;
using testing::RawResponse;
using namespace std::chrono_literals;

constexpr std::string_view kGetHello = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.io_threads = 2;
    Router router;
    router.Handle("GET", "/hello", [](std::shared_ptr<HttpExchange> exchange) {
      HttpResponse response = HttpResponse::Text(200, "hello " + exchange->request().target);
      response.headers.Add("X-Path", std::string(exchange->request().path()));
      (void)exchange->Respond(std::move(response));
    });
    router.Handle("POST", "/echo", [](std::shared_ptr<HttpExchange> exchange) {
      (void)exchange->Respond(HttpResponse::Text(200, exchange->request().body));
    });
    router.Handle("GET", "/later", [this](std::shared_ptr<HttpExchange> exchange) {
      // Answered from another thread, later.
      events_.RunAfter(2ms,
                       [exchange] { (void)exchange->Respond(HttpResponse::Text(200, "later")); });
    });
    router.Handle("GET", "/drop", [](std::shared_ptr<HttpExchange>) {});
    router.Handle("GET", "/throw",
                  [](std::shared_ptr<HttpExchange>) { throw std::runtime_error("handler bug"); });
    router.Handle("GET", "/hang", [this](std::shared_ptr<HttpExchange> exchange) {
      // Never answers on its own; reports how it was cancelled.
      exchange->cancellation().Subscribe(
          [this](CancelReason reason) { hang_reason_.set_value(reason); });
      held_ = exchange;
      started_.set_value();
    });
    router.Handle("GET", "/slow", [this](std::shared_ptr<HttpExchange> exchange) {
      started_.set_value();
      events_.RunAfter(100ms,
                       [exchange] { (void)exchange->Respond(HttpResponse::Text(200, "slow")); });
    });
    router.Handle("GET", "/files/*", [](std::shared_ptr<HttpExchange> exchange) {
      (void)exchange->Respond(HttpResponse::Text(200, std::string(exchange->request().path())));
    });
    auto server = HttpServer::Start(std::move(options), std::move(router));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
    held_.reset();
  }

  EventThread events_;
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<HttpExchange> held_;
  std::promise<CancelReason> hang_reason_;
  std::promise<void> started_;  // set by /hang and /slow once they hold the request
};

TEST_F(HttpServerTest, AnswersAndReportsEphemeralPort) {
  StartServer();
  ASSERT_NE(server_->port(), 0);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /hello?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello /hello?x=1");
  EXPECT_EQ(response->headers.Get("X-Path"), "/hello");
  EXPECT_EQ(response->headers.Get("Content-Length"), "16");
  EXPECT_EQ(response->headers.Get("Server"), "tokenfab");
  EXPECT_TRUE(response->headers.Has("Date"));
  EXPECT_FALSE(response->headers.Has("Connection"));  // HTTP/1.1 keeps alive by default
}

TEST_F(HttpServerTest, KeepsConnectionsAliveAcrossRequests) {
  StartServer();
  RawConnection connection(server_->port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(connection.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nab" +
                                std::to_string(i)));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, "ab" + std::to_string(i));
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1);
  EXPECT_EQ(server_->stats().requests, 5);
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  StartServer();
  RawConnection connection(server_->port());
  // The slow one first: its answer must still come first.
  ASSERT_TRUE(
      connection.Send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"
                      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond"
                      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto first = connection.ReadResponse();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->body, "later");
  auto second = connection.ReadResponse();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->body, "second");
  auto third = connection.ReadResponse();
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->body, "hello /hello");
  EXPECT_EQ(third->headers.Get("Connection"), "close");
  EXPECT_TRUE(connection.WaitForClose());
}

TEST_F(HttpServerTest, PipelinedRequestsAllAnswered) {
  StartServer();
  RawConnection connection(server_->port());
  std::string batch;
  for (int i = 0; i < 20; ++i) {
    batch += i % 2 == 0 ? "GET /later HTTP/1.1\r\nHost: x\r\n\r\n"
                        : "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_TRUE(connection.Send(batch));
  for (int i = 0; i < 20; ++i) {
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, i % 2 == 0 ? "later" : "hello /hello");
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1);
}

TEST_F(HttpServerTest, RoutesByMethodAndPath) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto missing = connection.ReadResponse();
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  ASSERT_TRUE(connection.Send("DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto wrong_method = connection.ReadResponse();
  ASSERT_TRUE(wrong_method.ok());
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->headers.Get("Allow"), "POST");
  ASSERT_TRUE(connection.Send("GET /files/a/b.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto prefix = connection.ReadResponse();
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->body, "/files/a/b.txt");
  EXPECT_EQ(server_->stats().errors_4xx, 2);
}

TEST_F(HttpServerTest, RejectsOversizedBodyWith413BeforeReadingIt) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n" +
                              std::string(100, 'a')));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers.Get("Connection"), "close");
  EXPECT_TRUE(connection.WaitForClose());
}

// The server answers 413 as soon as it reads the head, while the client is still sending the
// body. Closing then would reset the connection and the client would see a broken pipe instead
// of the answer; the server lingers, draining the body, so every client reads its 413.
TEST_F(HttpServerTest, EveryClientOfAnOversizedUploadReadsThe413) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;
  StartServer(options);
  constexpr int kThreads = 4;
  constexpr int kUploadsPerThread = 25;
  const std::string body(8 << 20, 'u');
  std::atomic<int> answered_413{0};
  std::atomic<int> broken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kUploadsPerThread; ++i) {
        RawConnection connection(server_->port());
        const bool sent =
            connection.Send(fmt::format(
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body.size())) &&
            connection.Send(body);
        auto response = connection.ReadResponse();
        if (sent && response.ok() && response->status == 413) {
          ++answered_413;
        } else {
          ++broken;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(answered_413.load(), kThreads * kUploadsPerThread);
  EXPECT_EQ(broken.load(), 0);
}

TEST_F(HttpServerTest, RejectsOversizedChunkedBodyWith413) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  RawConnection connection(server_->port());
  std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) request += "12c\r\n" + std::string(300, 'b') + "\r\n";
  request += "0\r\n\r\n";
  ASSERT_TRUE(connection.Send(request));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
}

TEST_F(HttpServerTest, AcceptsBodyAtTheLimit) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
                              std::string(1000, 'z')));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), 1000u);
}

TEST_F(HttpServerTest, RejectsOversizedHeaderWith431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'h') +
                              "\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(connection.WaitForClose());
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheServerKeepsServing) {
  StartServer();
  const std::string bad_requests[] = {
      "THIS IS NOT HTTP\r\n\r\n",
      "GET /hello HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET /hello HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      std::string("GET /\0hello HTTP/1.1\r\n\r\n", 24),
  };
  for (const std::string& bad : bad_requests) {
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.Send(bad));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status() << " for " << bad;
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_TRUE(connection.WaitForClose());
  }
  RawConnection good(server_->port());
  ASSERT_TRUE(good.Send(kGetHello));
  auto response = good.ReadResponse();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, SlowRequestGets408) {
  HttpServerOptions options;
  options.read_timeout = 100ms;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /hello HTTP/1.1\r\nHost: x\r\n"));  // never finished
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(connection.WaitForClose());
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout = 100ms;
  StartServer(options);
  RawConnection connection(server_->port());
  // The idle time starts after the answer, so it cannot end sooner than 100 ms after this.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(connection.Send(kGetHello));
  ASSERT_TRUE(connection.ReadResponse().ok());
  EXPECT_TRUE(connection.WaitForClose());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST_F(HttpServerTest, HandlerAnsweringFromAnotherThread) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "later");
}

TEST_F(HttpServerTest, DroppedOrThrowingHandlerGets500AndConnectionSurvives) {
  StartServer();
  RawConnection connection(server_->port());
  for (std::string_view path : {"/drop", "/throw"}) {
    ASSERT_TRUE(connection.Send(fmt::format("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", path)));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->status, 500) << path;
  }
  ASSERT_TRUE(connection.Send(kGetHello));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server_->stats().errors_5xx, 2);
}

TEST_F(HttpServerTest, ExpectContinueGets100ThenTheAnswer) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = connection.ReadResponse();
  ASSERT_TRUE(interim.ok());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection.Send("hello"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "hello");
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveAsked) {
  StartServer();
  {
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.Send("GET /hello HTTP/1.0\r\n\r\n"));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->headers.Get("Connection"), "close");
    EXPECT_TRUE(connection.WaitForClose());
  }
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->headers.Get("Connection"), "keep-alive");
  ASSERT_TRUE(connection.Send("GET /hello HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(connection.ReadResponse().ok());
}

TEST_F(HttpServerTest, RequestTimeLimitCancelsTheHandlerAndAnswers503) {
  HttpServerOptions options;
  options.request_timeout = 100ms;
  StartServer(options);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  auto reason = hang_reason_.get_future();
  ASSERT_EQ(reason.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(reason.get(), CancelReason::kDeadlineExceeded);
}

TEST_F(HttpServerTest, OverConnectionLimitGets503WithRetryAfter) {
  HttpServerOptions options;
  options.max_connections = 1;
  StartServer(options);
  RawConnection first(server_->port());
  ASSERT_TRUE(first.Send(kGetHello));
  ASSERT_TRUE(first.ReadResponse().ok());  // the first connection is surely accepted now
  RawConnection second(server_->port());
  ASSERT_TRUE(second.Send(kGetHello));
  auto response = second.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->headers.Get("Retry-After"), "1");
}

TEST_F(HttpServerTest, StopCancelsRequestsStillRunningAfterGrace) {
  StartServer();
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(started_.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(server_->stats().requests_open, 1);
  server_->Stop(50ms);
  auto reason = hang_reason_.get_future();
  ASSERT_EQ(reason.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(reason.get(), CancelReason::kServerStopping);
  EXPECT_TRUE(connection.WaitForClose());
  EXPECT_EQ(server_->stats().connections_open, 0);
}

TEST_F(HttpServerTest, StopLetsRunningRequestsFinishWithinGrace) {
  StartServer();
  RawConnection idle(server_->port());
  ASSERT_TRUE(idle.Send(kGetHello));
  ASSERT_TRUE(idle.ReadResponse().ok());
  RawConnection busy(server_->port());
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(started_.get_future().wait_for(10s), std::future_status::ready);
  server_->Stop(10s);
  // The idle connection was closed at once; the busy one got its answer, then was closed.
  EXPECT_TRUE(idle.WaitForClose());
  auto response = busy.ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "slow");
  EXPECT_TRUE(busy.WaitForClose());
}

TEST_F(HttpServerTest, StartFailsOnAPortInUse) {
  StartServer();
  HttpServerOptions options;
  options.port = server_->port();
  options.io_threads = 1;
  auto second = HttpServer::Start(options, Router());
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tokenfab::net
