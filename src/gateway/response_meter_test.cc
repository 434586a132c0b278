#include "response_meter.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using Action = ResponseMeter::Action;

TEST(ResponseMeterTest, ReadsAChatStream) {
  ResponseMeter meter(api::Endpoint::kChatCompletions, /*client_wants_usage=*/false);
  EXPECT_EQ(meter.OnEvent(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})", 10),
            Action::kForward);
  EXPECT_EQ(meter.first_content_micros(), 0) << "a role delta is not content";
  EXPECT_EQ(meter.OnEvent(R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})", 20),
            Action::kForward);
  EXPECT_EQ(meter.OnEvent(R"({"choices":[{"index":0,"delta":{"reasoning_content":"hmm"}}]})", 25),
            Action::kForward);
  EXPECT_EQ(
      meter.OnEvent(R"({"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]})",
                    30),
      Action::kForward);
  // The usage chunk the gateway asked for on its own goes no further.
  EXPECT_EQ(meter.OnEvent(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,
                                "prompt_tokens_details":{"cached_tokens":8}}})",
                          31),
            Action::kDrop);
  EXPECT_EQ(meter.OnEvent("[DONE]", 32), Action::kDone);
  EXPECT_EQ(meter.text(), "Helhmmlo");
  EXPECT_EQ(meter.content_events(), 3);
  EXPECT_EQ(meter.first_content_micros(), 20);
  EXPECT_EQ(meter.last_content_micros(), 30);
  EXPECT_EQ(meter.finish_reason(), "stop");
  EXPECT_TRUE(meter.saw_done());
  ASSERT_TRUE(meter.usage().has_value());
  EXPECT_EQ(meter.usage()->prompt_tokens, 12);
  EXPECT_EQ(meter.usage()->completion_tokens, 3);
  EXPECT_EQ(meter.usage()->cached_tokens, 8);
}

TEST(ResponseMeterTest, ForwardsUsageWhenTheClientAskedAndReadsCompletions) {
  ResponseMeter meter(api::Endpoint::kCompletions, /*client_wants_usage=*/true);
  EXPECT_EQ(meter.OnEvent(R"({"choices":[{"index":0,"text":"abc"}]})", 5), Action::kForward);
  EXPECT_EQ(meter.OnEvent(R"({"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1}})", 6),
            Action::kForward);
  EXPECT_EQ(meter.text(), "abc");
  EXPECT_EQ(meter.usage()->cached_tokens, 0);
}

TEST(ResponseMeterTest, StripsUsageFromALastContentChunkTheClientDidNotAskFor) {
  // llama.cpp's /v1/completions puts usage on its finish chunk whether asked or not.
  ResponseMeter meter(api::Endpoint::kCompletions, /*client_wants_usage=*/false);
  const std::string chunk =
      R"({"choices":[{"text":"","index":0,"finish_reason":"length"}],"usage":{"prompt_tokens":2,)"
      R"("completion_tokens":3},"id":"x"})";
  EXPECT_EQ(meter.OnEvent(chunk, 1), Action::kStripUsage);
  EXPECT_EQ(meter.usage()->completion_tokens, 3);
  EXPECT_EQ(ResponseMeter::WithoutUsage(chunk),
            R"({"choices":[{"text":"","index":0,"finish_reason":"length"}],"id":"x"})");
  ResponseMeter asked(api::Endpoint::kCompletions, /*client_wants_usage=*/true);
  EXPECT_EQ(asked.OnEvent(chunk, 1), Action::kForward);
}

TEST(ResponseMeterTest, NotesErrorsAndPassesUnknownEvents) {
  ResponseMeter meter(api::Endpoint::kChatCompletions, false);
  EXPECT_EQ(meter.OnEvent("not json", 1), Action::kForward);
  EXPECT_EQ(meter.OnEvent(R"({"error":{"message":"engine died","type":"server_error"}})", 2),
            Action::kForward);
  EXPECT_EQ(meter.error(), "engine died");
  EXPECT_FALSE(meter.usage().has_value());
  EXPECT_EQ(meter.content_events(), 0);
}

TEST(ResponseMeterTest, ReadsAWholeAnswer) {
  ResponseMeter meter(api::Endpoint::kChatCompletions, false);
  meter.OnBody(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},
                   "finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}})",
               77);
  EXPECT_EQ(meter.text(), "Hi!");
  EXPECT_EQ(meter.first_content_micros(), 77);
  EXPECT_EQ(meter.usage()->prompt_tokens, 5);
  EXPECT_EQ(meter.finish_reason(), "stop");
}

// Usage figures are the upstream's to write: huge, fractional or negative ones are clamped, not
// cast (casting 1e300 to an integer is undefined behaviour).
TEST(ResponseMeterTest, OutOfRangeUsageIsClamped) {
  ResponseMeter meter(api::Endpoint::kChatCompletions, false);
  meter.OnBody(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],
                   "usage":{"prompt_tokens":1e300,"completion_tokens":-1e300}})",
               1);
  ASSERT_TRUE(meter.usage().has_value());
  EXPECT_EQ(meter.usage()->prompt_tokens, int64_t{1} << 62);
  EXPECT_EQ(meter.usage()->completion_tokens, 0);
  ResponseMeter big(api::Endpoint::kChatCompletions, false);
  big.OnBody(R"({"choices":[],"usage":{"prompt_tokens":18446744073709551615,
                                        "completion_tokens":2.9}})",
             1);
  EXPECT_EQ(big.usage()->prompt_tokens, int64_t{1} << 62);
  EXPECT_EQ(big.usage()->completion_tokens, 2);
}

}  // namespace
}  // namespace tokenfab::gateway
