#include "tokenfab/fleet/http_url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::fleet {
namespace {

struct Good {
  std::string text;
  HttpUrl url;
};

TEST(HttpUrlTest, ParsesGoodUrls) {
  const Good cases[] = {
      {"http://127.0.0.1:8101", {"http", "127.0.0.1", 8101, ""}},
      {"http://localhost", {"http", "localhost", 80, ""}},
      {"https://api.example.com", {"https", "api.example.com", 443, ""}},
      {"http://node-1.hub:9000/v1/", {"http", "node-1.hub", 9000, "/v1"}},
      {"http://[::1]:8080", {"http", "::1", 8080, ""}},
      {"http://[fe80::1]/x", {"http", "fe80::1", 80, "/x"}},
  };
  for (const Good& c : cases) {
    auto url = ParseHttpUrl(c.text);
    ASSERT_TRUE(url.ok()) << c.text << ": " << url.status();
    EXPECT_EQ(*url, c.url) << c.text;
  }
  EXPECT_EQ(ParseHttpUrl("http://[::1]:8080/v1")->ToString(), "http://[::1]:8080/v1");
  EXPECT_EQ(ParseHttpUrl("http://localhost")->ToString(), "http://localhost:80");
}

TEST(HttpUrlTest, RejectsBadUrlsWithAReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"127.0.0.1:8101", "the scheme must be http:// or https://"},
      {"ftp://host:21", "the scheme must be http:// or https://"},
      {"http://", "empty host"},
      {"http://:80", "empty host"},
      {"http://host:", "empty port"},
      {"http://host:0", "bad port \"0\""},
      {"http://host:65536", "bad port \"65536\""},
      {"http://host:80x", "bad port \"80x\""},
      {"http://ho st:80", "bad character ' ' in the host"},
      {"http://user@host:80", "user info is not allowed"},
      {"http://host:80/v1?x=1", "a query or fragment is not allowed"},
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

}  // namespace
}  // namespace tokenfab::fleet
