// The fixture of the node server's tests: a node on a fast synthetic engine (or the host given),
// a client to it, and helpers that check OpenAI's error and stream shapes.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "node/node_test_util.h"
#include "tokenfab/node/node_server.h"

namespace tokenfab::node {

class NodeServerTest : public ::testing::Test {
 protected:
  void Start(NodeOptions options = {}, ModelHostOptions host = testing::FastSyntheticHost()) {
    node_ = testing::StartNode(options, host);
    ASSERT_NE(node_, nullptr);
    client_ = std::make_unique<testing::NodeClient>(node_->port());
  }
  void TearDown() override {
    client_.reset();
    if (node_ != nullptr) node_->Stop();
  }

  // The OpenAI error object of a failed answer, checking its shape.
  static boost::json::object ErrorOf(const testing::Answer& answer) {
    EXPECT_TRUE(answer.json.is_object()) << answer.body;
    if (!answer.json.is_object()) return {};
    const boost::json::value* error = answer.json.as_object().if_contains("error");
    EXPECT_TRUE(error != nullptr && error->is_object()) << answer.body;
    if (error == nullptr || !error->is_object()) return {};
    const boost::json::object& e = error->as_object();
    EXPECT_TRUE(e.contains("message") && e.at("message").is_string()) << answer.body;
    EXPECT_TRUE(e.contains("type") && e.at("type").is_string()) << answer.body;
    EXPECT_TRUE(e.contains("param")) << answer.body;
    EXPECT_TRUE(e.contains("code")) << answer.body;
    return e;
  }

  // The parsed data of every event but [DONE], which must come last.
  static std::vector<boost::json::object> Chunks(const testing::StreamAnswer& answer) {
    EXPECT_TRUE(answer.done.ok()) << answer.done;
    EXPECT_FALSE(answer.events.empty());
    if (answer.events.empty()) return {};
    EXPECT_EQ(answer.events.back(), "[DONE]");
    std::vector<boost::json::object> chunks;
    for (size_t i = 0; i + 1 < answer.events.size(); ++i) {
      boost::json::value v = boost::json::parse(answer.events[i]);
      chunks.push_back(v.as_object());
    }
    return chunks;
  }

  // Polls /load until `done` holds for it (bounded: fails after many tries).
  boost::json::object WaitForLoad(const std::function<bool(const boost::json::object&)>& done) {
    boost::json::object load;
    for (int i = 0; i < 5000; ++i) {
      testing::Answer answer = client_->Get("/load");
      if (answer.status != 200) continue;
      load = answer.json.as_object();
      if (done(load)) return load;
    }
    ADD_FAILURE() << "the load never reached the expected state: " << boost::json::serialize(load);
    return load;
  }

  // /metrics once it shows `text`: a response is counted just after it is sent, so a client
  // may read /metrics before its own answer is counted.
  testing::Answer WaitForMetrics(const std::string& text) {
    testing::Answer answer;
    for (int i = 0; i < 5000; ++i) {
      answer = client_->Get("/metrics");
      if (answer.status == 200 && answer.body.find(text) != std::string::npos) return answer;
    }
    ADD_FAILURE() << "/metrics never showed " << text << ": " << answer.body;
    return answer;
  }

  // A streamed 40-token completion under way: returned once its first event has arrived;
  // `answer` is ready, with every event, when the stream ends.
  struct RunningStream {
    std::shared_ptr<net::ClientCall> call;
    std::future<testing::StreamAnswer> answer;
  };
  RunningStream StartRunningStream() {
    auto started = std::make_shared<std::promise<void>>();
    auto seen = std::make_shared<std::atomic<bool>>(false);
    auto result = std::make_shared<std::promise<testing::StreamAnswer>>();
    auto answer = std::make_shared<testing::StreamAnswer>();
    RunningStream stream{.call = nullptr, .answer = result->get_future()};
    stream.call = client_->StartStream(
        "/v1/completions",
        R"({"prompt": "x", "max_tokens": 40, "ignore_eos": true, "stream": true})",
        [started, seen, answer](const std::string& data) {
          answer->events.push_back(data);
          if (!seen->exchange(true)) started->set_value();
        },
        [result, answer](Status status) {
          answer->done = status;
          result->set_value(*answer);
        });
    started->get_future().wait();
    return stream;
  }

  std::unique_ptr<NodeServer> node_;
  std::unique_ptr<testing::NodeClient> client_;
};

}  // namespace tokenfab::node
