// Stopping a node: streams finish within the grace period, or are cut without it.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "node/node_server_fixture.h"

namespace tokenfab::node {
namespace {

using testing::StreamAnswer;

TEST_F(NodeServerTest, StopLetsStreamsFinishWithinGrace) {
  Start();
  RunningStream stream = StartRunningStream();
  node_->Stop(std::chrono::seconds(10));
  StreamAnswer finished = stream.answer.get();
  EXPECT_TRUE(finished.done.ok()) << finished.done;
  ASSERT_FALSE(finished.events.empty());
  EXPECT_EQ(finished.events.back(), "[DONE]");
  EXPECT_FALSE(node_->ready());
}

TEST_F(NodeServerTest, StopWithoutGraceCancelsStreams) {
  Start();
  std::promise<void> started, done;
  std::atomic<bool> seen{false};
  std::atomic<bool> got_done_marker{false};
  auto call = client_->StartStream(
      "/v1/completions",
      R"({"prompt": "x", "max_tokens": 5000, "ignore_eos": true, "stream": true})",
      [&](const std::string& data) {
        if (data == "[DONE]") got_done_marker = true;
        if (!seen.exchange(true)) started.set_value();
      },
      [&](Status) { done.set_value(); });
  started.get_future().wait();
  node_->Stop(std::chrono::milliseconds(0));
  done.get_future().wait();
  EXPECT_FALSE(got_done_marker);  // the client sees the stream cut, not a clean end
}

}  // namespace
}  // namespace tokenfab::node
