// Batches end to end. A batch whose completion window passes before its lines finish: the batch
// ends `expired`, the finished lines are in its output file, the others in its error file with
// OpenAI's `batch_expired` error, and request_counts agree with the two files. Lines released
// by the valley filler run at the cheapest site with room.
#include <atomic>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::ClientResult;
using testing::FailMode;
using testing::FakeUpstream;

// The real clocks, with calendar time shifted on demand (the batch runner judges a batch's
// window by wall time; monotonic time, which the relay's timeouts use, runs as it does).
class ShiftedWallClock final : public base::Clock {
 public:
  int64_t NowMicros() const override { return base::RealClock::Get().NowMicros(); }
  int64_t WallMicros() const override {
    return base::RealClock::Get().WallMicros() + shift_.load(std::memory_order_acquire);
  }
  void Shift(std::chrono::microseconds by) { shift_.fetch_add(by.count()); }

 private:
  std::atomic<int64_t> shift_{0};
};

std::string Line(std::string_view custom_id, std::string_view model) {
  return json::serialize(json::object{
             {"custom_id", custom_id},
             {"method", "POST"},
             {"url", "/v1/chat/completions"},
             {"body",
              json::object{{"model", model},
                           {"messages", json::array{json::object{{"role", "user"},
                                                                 {"content", "one two"}}}}}}}) +
         "\n";
}

// The lines of a JSONL text, parsed.
std::vector<json::value> JsonLines(const std::string& text) {
  std::vector<json::value> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

class GatewayBatchExpiryTest : public GatewayRelayTest {
 protected:
  json::value GetJson(const std::string& path) {
    const ClientResult r = client_.Get(gateway_->port(), path, key_);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.status == 200 ? json::parse(r.body) : json::value();
  }
  std::string Upload(const std::string& jsonl) {
    const std::string body =
        "--b0undary\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
        "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
        "Content-Type: application/jsonl\r\n\r\n" +
        jsonl + "\r\n--b0undary--\r\n";
    testing::PostOptions options{.api_key = key_};
    options.headers.Set("Content-Type", "multipart/form-data; boundary=b0undary");
    const ClientResult r = client_.Post(gateway_->port(), "/v1/files", body, options);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? std::string(json::parse(r.body).at("id").as_string()) : "";
  }
  // Starts the gateway on `list`, with a files folder, on the shifted clock.
  void StartOn(const std::vector<testing::TestUpstream>& list) {
    clock_ = &clock_shifted_;
    GatewayOptions options;
    options.files_dir = (dir_ / "files").string();
    StartGatewayOn(testing::TestFleetToml(list), std::move(options));
  }
  ShiftedWallClock clock_shifted_;
};

TEST_F(GatewayBatchExpiryTest, ABatchPastItsWindowExpiresWithItsUnfinishedLinesInTheErrorFile) {
  FakeUpstream& good = AddUpstream({.tokens = 2});
  FakeUpstream& failing = AddUpstream({.tokens = 2});
  failing.SetFailure(FailMode::kStatus500);  // lines for "m2" are retried until the window ends
  std::vector<testing::TestUpstream> list{{.url = good.url()},
                                          {.url = failing.url(), .models = "\"m2\""}};
  ledger::PriceEntry price{.model = "m2",
                           .region = "*",
                           .input_per_million = 1'000'000,
                           .cached_input_per_million = 500'000,
                           .output_per_million = 2'000'000,
                           .currency = "CNY"};
  ASSERT_TRUE(store_->AddPrice(price).ok());
  StartOn(list);

  const std::string file =
      Upload(Line("ok-1", "m") + Line("late-1", "m2") + Line("ok-2", "m") + Line("late-2", "m2"));
  ASSERT_FALSE(file.empty());
  const ClientResult created =
      client_.Post(gateway_->port(), "/v1/batches",
                   json::serialize(json::object{{"input_file_id", file},
                                                {"endpoint", "/v1/chat/completions"},
                                                {"completion_window", "24h"}}),
                   {.api_key = key_});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string path = fmt::format(
      "/v1/batches/{}", std::string_view(json::parse(created.body).at("id").as_string()));
  ASSERT_TRUE(WaitFor([&] { return GetJson(path).at("request_counts").at("completed") == 2; }))
      << "the lines for \"m\" are served";
  EXPECT_EQ(GetJson(path).at("status"), "in_progress") << "the lines for \"m2\" are not";

  clock_shifted_.Shift(24h + 1s);
  json::value batch;
  ASSERT_TRUE(WaitFor([&] {
    batch = GetJson(path);
    return batch.at("status") == "expired";
  })) << batch;
  EXPECT_TRUE(batch.at("expired_at").is_int64()) << batch;
  const json::value& counts = batch.at("request_counts");
  EXPECT_EQ(counts.at("total"), 4);
  EXPECT_EQ(counts.at("completed"), 2);
  EXPECT_EQ(counts.at("failed"), 2) << "the expired lines are the error file's";

  auto content = [&](const json::value& id) {
    const ClientResult r =
        client_.Get(gateway_->port(),
                    fmt::format("/v1/files/{}/content", std::string_view(id.as_string())), key_);
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonLines(r.body);
  };
  const std::vector<json::value> output = content(batch.at("output_file_id"));
  ASSERT_EQ(output.size(), 2u);
  for (const json::value& line : output) {
    EXPECT_THAT(std::string(line.at("custom_id").as_string()), ::testing::StartsWith("ok-"));
    EXPECT_EQ(line.at("response").at("status_code"), 200) << line;
    EXPECT_TRUE(line.at("error").is_null());
  }
  const std::vector<json::value> errors = content(batch.at("error_file_id"));
  ASSERT_EQ(errors.size(), 2u);
  for (const json::value& line : errors) {
    EXPECT_THAT(std::string(line.at("custom_id").as_string()), ::testing::StartsWith("late-"));
    EXPECT_TRUE(line.at("response").is_null()) << line;
    EXPECT_EQ(line.at("error").at("code"), "batch_expired") << line;
  }
}

TEST_F(GatewayBatchExpiryTest, BatchLinesAreReleasedToTheCheapestSiteWithRoom) {
  // s0 at 0.1 CNY/kWh, s1 at 0.2, both idle: the valley filler releases every line to s0,
  // where least-load alone would spread them over both.
  FakeUpstream& cheap = AddUpstream({.tokens = 2});
  FakeUpstream& dear = AddUpstream({.tokens = 2});
  std::vector<testing::TestUpstream> list{{.url = cheap.url()}, {.url = dear.url()}};
  StartOn(list);

  std::string lines;
  for (int i = 0; i < 6; ++i) lines += Line(fmt::format("line-{}", i), "m");
  const std::string file = Upload(lines);
  ASSERT_FALSE(file.empty());
  const ClientResult created =
      client_.Post(gateway_->port(), "/v1/batches",
                   json::serialize(json::object{{"input_file_id", file},
                                                {"endpoint", "/v1/chat/completions"},
                                                {"completion_window", "24h"}}),
                   {.api_key = key_});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string path = fmt::format(
      "/v1/batches/{}", std::string_view(json::parse(created.body).at("id").as_string()));
  ASSERT_TRUE(WaitFor([&] { return GetJson(path).at("status") == "completed"; }));
  EXPECT_EQ(cheap.requests(), 6);
  EXPECT_EQ(dear.requests(), 0);
}

}  // namespace
}  // namespace tokenfab::gateway
