#include "tokenfab/net/sse.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::net {
namespace {

std::vector<SseEvent> ParseAll(std::string_view text, SseParser& parser) {
  std::vector<SseEvent> events;
  const Status status = parser.Feed(text, [&](SseEvent&& e) { events.push_back(std::move(e)); });
  EXPECT_TRUE(status.ok()) << status;
  return events;
}

std::vector<SseEvent> ParseAll(std::string_view text) {
  SseParser parser;
  return ParseAll(text, parser);
}

TEST(SseWriterTest, FormatsDataEventsAndComments) {
  EXPECT_EQ(FormatSseData("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(FormatSseData("[DONE]"), "data: [DONE]\n\n");
  EXPECT_EQ(FormatSseData("one\ntwo\r\nthree"), "data: one\ndata: two\ndata: three\n\n");
  EXPECT_EQ(FormatSseData(""), "data: \n\n");
  const SseEvent event{.event = "update", .data = "x", .id = "42", .retry_ms = 1500};
  EXPECT_EQ(FormatSseEvent(event), "event: update\nid: 42\nretry: 1500\ndata: x\n\n");
}

TEST(SseWriterTest, WriterAndParserRoundTrip) {
  SseEvent event;
  event.event = "delta";
  event.data = "line one\nline two\n\nafter a blank line";
  const std::vector<SseEvent> parsed = ParseAll(FormatSseEvent(event));
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].event, "delta");
  EXPECT_EQ(parsed[0].data, event.data);
}

TEST(SseParserTest, ParsesOpenAiStyleStream) {
  const std::string stream =
      "data: {\"choices\":[{\"text\":\"Hel\"}]}\n\n"
      ": keep-alive\n\n"
      "data: {\"choices\":[{\"text\":\"lo\"}]}\n\n"
      "data: [DONE]\n\n";
  SseParser parser;
  const std::vector<SseEvent> events = ParseAll(stream, parser);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "{\"choices\":[{\"text\":\"Hel\"}]}");
  EXPECT_EQ(events[2].data, "[DONE]");
  EXPECT_EQ(events[0].event, "");
  EXPECT_EQ(parser.comment_count(), 1);
  EXPECT_FALSE(parser.HasPartialEvent());
}

TEST(SseParserTest, EventsSplitAtEveryByteGiveTheSameResult) {
  const std::string stream =
      "\xEF\xBB\xBF"  // a byte order mark, stripped
      "event: a\r\ndata: first\r\ndata:second\r\n\r\n"
      ":comment\rdata: cr only\r\r"
      "id: 7\ndata:  two spaces\n\n"
      "data\n\n"  // a field with no colon: empty data line
      "retry: 300\ndata: r\n\n";
  const std::vector<SseEvent> whole = ParseAll(stream);
  ASSERT_EQ(whole.size(), 5u);
  EXPECT_EQ(whole[0].event, "a");
  EXPECT_EQ(whole[0].data, "first\nsecond");
  EXPECT_EQ(whole[1].data, "cr only");
  EXPECT_EQ(whole[2].data, " two spaces");  // only one leading space is removed
  EXPECT_EQ(whole[2].id, "7");
  EXPECT_EQ(whole[3].data, "");
  EXPECT_EQ(whole[3].id, "7");  // the last event id is sticky
  EXPECT_EQ(whole[4].retry_ms, 300);
  // Every split into two reads, then byte by byte.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    std::vector<SseEvent> events = ParseAll(stream.substr(0, cut), parser);
    for (SseEvent& e : ParseAll(stream.substr(cut), parser)) events.push_back(std::move(e));
    ASSERT_EQ(events.size(), whole.size()) << "cut at " << cut;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].data, whole[i].data) << "cut at " << cut;
      EXPECT_EQ(events[i].event, whole[i].event) << "cut at " << cut;
    }
  }
  SseParser parser;
  std::vector<SseEvent> events;
  for (char c : stream) {
    for (SseEvent& e : ParseAll(std::string_view(&c, 1), parser)) events.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), whole.size());
  EXPECT_EQ(events[0].data, "first\nsecond");
}

TEST(SseParserTest, EventWithoutDataIsNotDispatched) {
  const std::vector<SseEvent> events = ParseAll("event: lonely\n\ndata: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "");  // the type buffer was reset by the empty event
  EXPECT_EQ(events[0].data, "x");
}

TEST(SseParserTest, ReportsATruncatedStream) {
  SseParser parser;
  EXPECT_TRUE(ParseAll("data: complete\n\ndata: cut", parser).size() == 1);
  EXPECT_TRUE(parser.HasPartialEvent());
  SseParser parser2;
  EXPECT_TRUE(ParseAll("data: complete\n\ndata: no blank line\n", parser2).size() == 1);
  EXPECT_TRUE(parser2.HasPartialEvent());
}

TEST(SseParserTest, OversizedEventIsAnErrorAndStaysOne) {
  SseParser parser(/*max_event_bytes=*/64);
  const Status status = parser.Feed("data: " + std::string(100, 'x'), [](SseEvent&&) {});
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(parser.Feed("\n\n", [](SseEvent&&) {}).ok());
  SseParser lines(64);
  Status many = absl::OkStatus();
  for (int i = 0; i < 10 && many.ok(); ++i)
    many = lines.Feed("data: 0123456789\n", [](SseEvent&&) {});
  EXPECT_EQ(many.code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace tokenfab::net
