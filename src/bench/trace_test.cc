#include "tokenfab/bench/trace.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace tokenfab::bench {
namespace {

TEST(AzureTraceTest, ParsesRowsAndUsesOnlyTimestampDifferences) {
  const std::string text =
      "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
      "2023-11-16 18:15:46.6805900,374,44\r\n"
      "2023-11-16 18:15:50.9951690,396,109\r\n"
      "2023-11-16 23:59:59.9999999,10,1\n"
      "2023-11-17 00:00:00.5,20,2\n"  // across midnight, a short fraction
      "\n";
  auto trace = ParseAzureTrace(text, "inline.csv");
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_EQ(trace->size(), 4u);
  EXPECT_EQ((*trace)[0].arrival_us, 0);
  EXPECT_EQ((*trace)[0].input_tokens, 374);
  EXPECT_EQ((*trace)[0].output_tokens, 44);
  // 50.9951690 − 46.6805900 = 4.3145790 s, truncated to µs.
  EXPECT_EQ((*trace)[1].arrival_us, 4'314'579);
  // 23:59:59.9999999 − 18:15:46.6805900 = 20,653.3194099 s.
  EXPECT_EQ((*trace)[2].arrival_us, 20'653'319'409);
  EXPECT_EQ((*trace)[3].arrival_us - (*trace)[2].arrival_us, 500'001);  // µs truncation
  EXPECT_TRUE((*trace)[0].hash_ids.empty());
}

TEST(AzureTraceTest, MalformedRowsAreErrorsNamingTheLine) {
  const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  const std::string bad_rows[] = {
      "2023-11-16 18:15:46.68,374\n",       // two fields
      "2023-11-16 18:15:46.68,374,44,1\n",  // four fields
      "2023-13-16 18:15:46.68,374,44\n",    // month 13
      "2023-11-16T18:15:46.68x,374,44\n",   // junk in the fraction
      "yesterday,374,44\n",                 // not a timestamp
      "2023-11-16 18:15:46.68,-3,44\n",     // negative length
      "2023-11-16 18:15:46.68,374,many\n",  // not a number
  };
  for (const std::string& row : bad_rows) {
    auto trace = ParseAzureTrace(header + "2023-11-16 18:15:40.0,1,1\n" + row, "t.csv");
    ASSERT_FALSE(trace.ok()) << row;
    EXPECT_EQ(trace.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(trace.status().message()).find("t.csv:3:"), std::string::npos)
        << trace.status();
  }
  EXPECT_FALSE(ParseAzureTrace("a,b,c\n1,2,3\n", "t.csv").ok());  // wrong header
  EXPECT_FALSE(ParseAzureTrace("", "t.csv").ok());
  auto backwards =
      ParseAzureTrace(header + "2023-11-16 18:15:46.0,1,1\n2023-11-16 18:15:45.0,1,1\n", "t.csv");
  EXPECT_FALSE(backwards.ok());
}

TEST(MooncakeTraceTest, ParsesRows) {
  const std::string text =
      "{\"timestamp\": 27482, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": "
      "[46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354]}\n"
      "{\"timestamp\": 27482, \"input_length\": 512, \"output_length\": 1, \"hash_ids\": [46]}\n"
      "{\"timestamp\": 30535, \"input_length\": 513, \"output_length\": 9, \"hash_ids\": [46, "
      "9]}\n";
  auto trace = ParseMooncakeTrace(text, "m.jsonl");
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_EQ(trace->size(), 3u);
  EXPECT_EQ((*trace)[0].arrival_us, 0);
  EXPECT_EQ((*trace)[1].arrival_us, 0);
  EXPECT_EQ((*trace)[2].arrival_us, 3'053'000);
  EXPECT_EQ((*trace)[0].input_tokens, 6955);
  EXPECT_EQ((*trace)[0].output_tokens, 52);
  ASSERT_EQ((*trace)[0].hash_ids.size(), 14u);
  EXPECT_EQ((*trace)[0].hash_ids[12], 2353u);
  EXPECT_EQ((*trace)[2].hash_ids, (std::vector<uint64_t>{46, 9}));
}

TEST(MooncakeTraceTest, MalformedRowsAreErrorsNamingTheLine) {
  const std::string good =
      "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n";
  const std::string bad_rows[] = {
      "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]",  // cut
      "[1, 2, 3]",
      "{\"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}",
      "{\"timestamp\": 5, \"input_length\": \"ten\", \"output_length\": 1, \"hash_ids\": [1]}",
      "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1.5, \"hash_ids\": [1]}",
      "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [-1]}",
      "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": 7}",
      "{\"timestamp\": 5, \"input_length\": 1025, \"output_length\": 1, \"hash_ids\": [1, 2]}",
      "{\"timestamp\": -5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}",
  };
  for (const std::string& row : bad_rows) {
    auto trace = ParseMooncakeTrace(good + row + "\n", "m.jsonl");
    ASSERT_FALSE(trace.ok()) << row;
    EXPECT_NE(std::string(trace.status().message()).find("m.jsonl:2:"), std::string::npos)
        << trace.status();
  }
  EXPECT_FALSE(ParseMooncakeTrace("\n\n", "m.jsonl").ok());
}

TEST(TraceTest, FormatsByNameAndMissingFile) {
  EXPECT_EQ(*ParseTraceFormat("azure"), TraceFormat::kAzure);
  EXPECT_EQ(*ParseTraceFormat("mooncake"), TraceFormat::kMooncake);
  EXPECT_FALSE(ParseTraceFormat("csv").ok());
  EXPECT_EQ(ReadTrace("/nonexistent/trace.csv", TraceFormat::kAzure).status().code(),
            absl::StatusCode::kNotFound);
}

// The real traces, when their folder is known: $TOKENFAB_TRACE_DIR, else the folder CMake found
// (TOKENFAB_TRACE_DIR, by default the project's sibling shared/traces).
std::string TraceDir() {
  if (const char* dir = std::getenv("TOKENFAB_TRACE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return TOKENFAB_DEFAULT_TRACE_DIR;
}

TEST(RealTraceTest, AzureConversationTrace) {
  const std::filesystem::path path =
      std::filesystem::path(TraceDir()) / "azure2023" / "AzureLLMInferenceTrace_conv.csv";
  if (TraceDir().empty() || !std::filesystem::exists(path)) {
    GTEST_SKIP() << "set TOKENFAB_TRACE_DIR to the shared traces folder to run this";
  }
  auto trace = ReadTrace(path.string(), TraceFormat::kAzure);
  ASSERT_TRUE(trace.ok()) << trace.status();
  // The figures of the traces' README: 19,366 rows over 3,502 s; lengths 2..4,142-ish / 7..
  ASSERT_EQ(trace->size(), 19366u);
  EXPECT_NEAR(static_cast<double>(trace->back().arrival_us) / 1e6, 3502, 1.0);
  int min_in = 1 << 30, min_out = 1 << 30;
  for (const TraceRequest& r : *trace) {
    min_in = std::min(min_in, r.input_tokens);
    min_out = std::min(min_out, r.output_tokens);
  }
  EXPECT_EQ(min_in, 2);
  EXPECT_EQ(min_out, 7);
}

TEST(RealTraceTest, MooncakeConversationTrace) {
  const std::filesystem::path path =
      std::filesystem::path(TraceDir()) / "mooncake" / "conversation_trace.jsonl";
  if (TraceDir().empty() || !std::filesystem::exists(path)) {
    GTEST_SKIP() << "set TOKENFAB_TRACE_DIR to the shared traces folder to run this";
  }
  auto trace = ReadTrace(path.string(), TraceFormat::kMooncake);
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_EQ(trace->size(), 12031u);
  EXPECT_NEAR(static_cast<double>(trace->back().arrival_us) / 1e6, 3537, 1.0);
  // Timestamps come in steps; the largest group sharing one holds 28 requests.
  size_t largest = 0;
  for (size_t i = 0; i < trace->size();) {
    size_t j = i;
    while (j < trace->size() && (*trace)[j].arrival_us == (*trace)[i].arrival_us) ++j;
    largest = std::max(largest, j - i);
    i = j;
  }
  EXPECT_EQ(largest, 28u);
}

}  // namespace
}  // namespace tokenfab::bench
