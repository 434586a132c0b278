#include "tokenfab/net/http_message.h"

#include <gtest/gtest.h>

#include "http_wire.h"
#include "tokenfab/net/cancellation.h"
#include "tokenfab/net/router.h"

namespace tokenfab::net {
namespace {

TEST(HttpHeadersTest, NamesAreCaseInsensitive) {
  HttpHeaders headers{{"Content-Type", "text/plain"}};
  headers.Add("X-A", "1");
  headers.Add("x-a", "2");
  EXPECT_EQ(headers.Get("content-type"), "text/plain");
  EXPECT_EQ(headers.Get("X-A"), "1");
  headers.Set("X-a", "3");
  EXPECT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers.Get("x-A"), "3");
  headers.Remove("CONTENT-TYPE");
  EXPECT_FALSE(headers.Has("Content-Type"));
}

TEST(HttpRequestTest, SplitsPathAndQuery) {
  HttpRequest request;
  request.target = "/v1/models?limit=3";
  EXPECT_EQ(request.path(), "/v1/models");
  EXPECT_EQ(request.query(), "limit=3");
  request.target = "/health";
  EXPECT_EQ(request.path(), "/health");
  EXPECT_EQ(request.query(), "");
}

TEST(HttpWireTest, FormatsResponseHeads) {
  HttpHeaders headers{{"Content-Type", "application/json"},
                      {"Content-Length", "999"},       // framing comes from the head, not here
                      {"X-Evil", "a\r\nInjected: 1"},  // would split the message: dropped
                      {"Bad Name", "x"}};
  ResponseHead head;
  head.status = 200;
  head.headers = &headers;
  head.content_length = 2;
  std::string out;
  AppendResponseHead(head, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");

  out.clear();
  head.framing = BodyFraming::kChunked;
  head.headers = nullptr;
  head.keep_alive = false;
  head.status = 429;
  head.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  AppendResponseHead(head, out);
  EXPECT_EQ(out,
            "HTTP/1.1 429 Too Many Requests\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");

  out.clear();
  head.version = 10;
  head.framing = BodyFraming::kUntilClose;
  head.date = {};
  head.keep_alive = true;  // impossible without a length: closes
  head.status = 200;
  AppendResponseHead(head, out);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n");
}

TEST(HttpWireTest, FormatsChunksAndRequests) {
  std::string out;
  AppendChunk("hello world, this is 31 bytes!!", out);
  AppendChunk("", out);
  out.append(kLastChunk);
  EXPECT_EQ(out, "1f\r\nhello world, this is 31 bytes!!\r\n0\r\n\r\n");

  out.clear();
  HttpHeaders headers{{"Authorization", "Bearer k"}};
  RequestHead head;
  head.method = "POST";
  head.target = "/v1/completions";
  head.host = "127.0.0.1:8080";
  head.headers = &headers;
  head.content_length = 0;
  AppendRequestHead(head, out);
  EXPECT_EQ(out,
            "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer k\r\n"
            "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(CancellationTest, FirstReasonWinsAndCallbacksRunOnce) {
  CancellationSource source;
  CancellationToken token = source.token();
  int calls = 0;
  CancelReason seen = CancelReason::kNone;
  token.Subscribe([&](CancelReason reason) {
    ++calls;
    seen = reason;
  });
  const uint64_t removed = token.Subscribe([&](CancelReason) { calls += 100; });
  token.Unsubscribe(removed);
  EXPECT_FALSE(token.cancelled());
  EXPECT_TRUE(source.Cancel(CancelReason::kClientDisconnected));
  EXPECT_FALSE(source.Cancel(CancelReason::kDeadlineExceeded));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, CancelReason::kClientDisconnected);
  EXPECT_EQ(token.reason(), CancelReason::kClientDisconnected);
  // Subscribing after the fact runs the callback at once.
  bool late = false;
  EXPECT_EQ(token.Subscribe([&](CancelReason) { late = true; }), 0u);
  EXPECT_TRUE(late);
  EXPECT_FALSE(CancellationToken().cancelled());
}

TEST(RouterTest, MatchesExactBeforePrefixAndReportsAllowedMethods) {
  Router router;
  std::string hit;
  router.Handle("GET", "/v1/models", [&](std::shared_ptr<HttpExchange>) { hit = "list"; });
  router.Handle("GET", "/v1/models/*", [&](std::shared_ptr<HttpExchange>) { hit = "one"; });
  router.Handle("GET", "/v1/*", [&](std::shared_ptr<HttpExchange>) { hit = "v1"; });
  router.Handle("POST", "/v1/completions", [&](std::shared_ptr<HttpExchange>) { hit = "post"; });
  router.Handle("PUT", "/v1/completions", [&](std::shared_ptr<HttpExchange>) {});

  auto call = [&](std::string_view method, std::string_view path) {
    hit.clear();
    Router::Match match = router.Find(method, path);
    if (match.handler != nullptr) (*match.handler)(nullptr);
    return match;
  };
  EXPECT_NE(call("GET", "/v1/models").handler, nullptr);
  EXPECT_EQ(hit, "list");
  call("GET", "/v1/models/llama");
  EXPECT_EQ(hit, "one");
  call("GET", "/v1/other");
  EXPECT_EQ(hit, "v1");
  Router::Match wrong = call("GET", "/v1/completions");
  EXPECT_EQ(hit, "v1");  // the GET prefix route covers it
  Router::Match missing = call("DELETE", "/v1/completions");
  EXPECT_EQ(missing.handler, nullptr);
  EXPECT_TRUE(missing.path_known);
  EXPECT_EQ(missing.allow, "GET, POST, PUT");
  Router::Match nothing = call("GET", "/health");
  EXPECT_EQ(nothing.handler, nullptr);
  EXPECT_FALSE(nothing.path_known);
}

}  // namespace
}  // namespace tokenfab::net
