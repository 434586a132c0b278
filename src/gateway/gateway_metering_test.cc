// What the gateway takes on an upstream's word when it meters an answer: cached prompt tokens
// only from an upstream trusted with them; reported completion tokens are checked against a
// count of the streamed text (usage_check.h).
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

using ::testing::HasSubstr;
using testing::ClientResult;
using testing::FakeUpstream;
using testing::TestFleetToml;

class GatewayMeteringTest : public GatewayRelayTest {
 protected:
  // A gateway in front of one upstream of `kind` with the upstream table's extra `fields`.
  void StartWith(const FakeUpstream& up, const std::string& kind, const std::string& fields,
                 const std::string& extra = "") {
    GatewayOptions options;
    options.io_threads = 1;
    StartGatewayOn(TestFleetToml({{.url = up.url(), .kind = kind, .fields = fields}}, extra),
                   std::move(options));
  }
  void Restart() {
    gateway_->Stop();
    gateway_.reset();
  }
};

TEST_F(GatewayMeteringTest, CachedTokensAreBilledCheaperOnlyFromATrustedUpstream) {
  FakeUpstream& up = AddUpstream({.tokens = 4, .cached_tokens = 3});
  StartWith(up, "vllm", "");  // a third-party kind: not trusted by default
  ClientResult r = Chat("one two three four five", false);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Recorded(r).cached_tokens, 0) << "billed at the full input price";
  Restart();
  StartWith(up, "vllm", "trust_cached_tokens = true\n");
  r = Chat("one two three four five", false);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Recorded(r).cached_tokens, 3);
}

TEST_F(GatewayMeteringTest, AReportThatDisagreesWithTheStreamedTextIsFlagged) {
  // The fake streams "u0x0 u0x1 u0x2 u0x3 u0x4 u0x5 u0x6 u0x7 u0x8 u0x9 " and reports 10
  // completion tokens; the llama3 vocabulary counts that text at 30 or more.
  FakeUpstream& up = AddUpstream({.tokens = 10});
  const std::string checks = "tokenfab_gateway_upstream_usage_checks_total{upstream=\"u0\"";
  const std::string mismatches =
      "tokenfab_gateway_upstream_usage_mismatches_total{upstream=\"u0\"";
  // Without a vocabulary for the model there is nothing to count with: no check.
  StartWith(up, "tokenfab-node", "");
  ClientResult r = Chat("count", true);
  ASSERT_TRUE(r.saw_done()) << r.body;
  EXPECT_EQ(Recorded(r).completion_tokens, 10);
  std::string metrics = client_.Get(gateway_->port(), "/metrics").body;
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr(checks)));
  Restart();
  StartWith(up, "tokenfab-node", "", "[[models]]\nname = \"m\"\nvocab = \"llama3\"\n");
  r = Chat("count", true);
  ASSERT_TRUE(r.saw_done()) << r.body;
  EXPECT_EQ(Recorded(r).completion_tokens, 10) << "the report is billed; the flag is for people";
  metrics = client_.Get(gateway_->port(), "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr(checks + ",site=\"s0\",region=\"r0\"} 1"));
  EXPECT_THAT(metrics, HasSubstr(mismatches + ",site=\"s0\",region=\"r0\"} 1"));
}

}  // namespace
}  // namespace tokenfab::gateway
