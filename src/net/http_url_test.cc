#include "tokenfab/net/http_url.h"

#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::net {
namespace {

struct Good {
  std::string text;
  HttpUrl url;
};

TEST(HttpUrlTest, ParsesGoodUrls) {
  const Good cases[] = {
      {"http://127.0.0.1:8101", {"http", "127.0.0.1", 8101, "/"}},
      {"http://localhost", {"http", "localhost", 80, "/"}},
      {"http://example.com/", {"http", "example.com", 80, "/"}},
      {"https://api.example.com", {"https", "api.example.com", 443, "/"}},
      {"https://api.example.com:8443/v1", {"https", "api.example.com", 8443, "/v1"}},
      {"http://node-1.hub:9000/v1/", {"http", "node-1.hub", 9000, "/v1"}},
      {"http://[::1]:8080", {"http", "::1", 8080, "/"}},
      {"http://[fe80::1]/x", {"http", "fe80::1", 80, "/x"}},
      {"http://localhost:8080/v1?x=1#frag", {"http", "localhost", 8080, "/v1?x=1"}},
      {"http://localhost:8080/v1/?x=1", {"http", "localhost", 8080, "/v1?x=1"}},
      {"http://localhost?x=1", {"http", "localhost", 80, "/?x=1"}},
      {"http://localhost/v1#top", {"http", "localhost", 80, "/v1"}},
  };
  for (const Good& c : cases) {
    auto url = ParseHttpUrl(c.text);
    ASSERT_TRUE(url.ok()) << c.text << ": " << url.status();
    EXPECT_EQ(*url, c.url) << c.text;
  }
}

TEST(HttpUrlTest, WritesItselfBack) {
  EXPECT_EQ(ParseHttpUrl("http://[::1]:8080/v1")->ToString(), "http://[::1]:8080/v1");
  EXPECT_EQ(ParseHttpUrl("http://localhost")->ToString(), "http://localhost:80");
  EXPECT_EQ(ParseHttpUrl("https://h/v1/")->ToString(), "https://h:443/v1");
  EXPECT_EQ(ParseHttpUrl("http://localhost:8080/v1")->HostPort(), "localhost:8080");
  EXPECT_EQ(ParseHttpUrl("http://[::1]:9000/x")->HostPort(), "[::1]:9000");
}

TEST(HttpUrlTest, WithPathAppendsToThePath) {
  EXPECT_EQ(ParseHttpUrl("http://localhost:8080/v1?x=1")->WithPath("/chat/completions").target,
            "/v1/chat/completions");
  EXPECT_EQ(ParseHttpUrl("http://example.com")->WithPath("v1/models").target, "/v1/models");
  EXPECT_EQ(ParseHttpUrl("http://example.com/base/")->WithPath("/load").target, "/base/load");
}

TEST(HttpUrlTest, RejectsBadUrlsWithAReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"127.0.0.1:8101", "the scheme must be http:// or https://"},
      {"example.com:80", "the scheme must be http:// or https://"},
      {"ftp://host:21", "the scheme must be http:// or https://"},
      {"http://", "empty host"},
      {"http://:80", "empty host"},
      {"http://:80/", "empty host"},
      {"http://host:", "empty port"},
      {"http://host:0", "bad port \"0\""},
      {"http://h:0/", "bad port \"0\""},
      {"http://host:65536", "bad port \"65536\""},
      {"http://h:70000/", "bad port \"70000\""},
      {"http://host:80x", "bad port \"80x\""},
      {"http://h:12ab/", "bad port \"12ab\""},
      {"http://ho st:80", "bad character ' ' in the host"},
      {"http://user@host:80", "user info is not allowed"},
      {"http://user@h/", "user info is not allowed"},
      {"http://[::1:80", "unterminated [IPv6] host"},
      {"http://[::1]x", "junk after the [IPv6] host"},
      {"http://[zz::1]:80", "bad character in the IPv6 host"},
  };
  for (const auto& [text, why] : cases) {
    auto url = ParseHttpUrl(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(url.status().message()), ::testing::HasSubstr(why)) << text;
  }
}

TEST(HttpUrlTest, ABaseUrlHasNoQueryOrFragment) {
  auto base = ParseBaseUrl("http://node-1.hub:9000/v1/");
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(*base, (HttpUrl{"http", "node-1.hub", 9000, "/v1"}));
  for (const char* text : {"http://host:80/v1?x=1", "http://host:80/v1#frag", "http://host?x"}) {
    auto url = ParseBaseUrl(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_THAT(std::string(url.status().message()),
                ::testing::HasSubstr("a query or fragment is not allowed"))
        << text;
  }
  EXPECT_THAT(std::string(ParseBaseUrl("ftp://h").status().message()),
              ::testing::HasSubstr("the scheme must be"));
}

}  // namespace
}  // namespace tokenfab::net
