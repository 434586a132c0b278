// Draining a node by request (POST /drain, GET /drain): the owner hears the request once, the
// node keeps answering its operations routes, refuses new completions once it drains, lets its
// streams finish, and says "drained" when told.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "node/node_server_fixture.h"

namespace tokenfab::node {
namespace {

using namespace std::chrono_literals;
using testing::Answer;
using testing::StreamAnswer;

constexpr char kToken[] = "operator-secret";

net::HttpHeaders Operator() {
  net::HttpHeaders h;
  h.Set("Authorization", std::string("Bearer ") + kToken);
  return h;
}

NodeOptions DrainOptions(std::function<void()> on_drain, std::string token = kToken) {
  NodeOptions options;
  options.operator_token = std::move(token);
  options.on_drain = std::move(on_drain);
  return options;
}

std::string StateOf(const Answer& a) {
  if (!a.json.is_object() || !a.json.as_object().contains("state")) return a.body;
  return std::string(a.json.as_object().at("state").as_string());
}

TEST_F(NodeServerTest, DrainNeedsTheOperatorToken) {
  std::atomic<int> asked{0};
  Start(DrainOptions([&] { asked.fetch_add(1); }));
  EXPECT_EQ(client_->Post("/drain", "").status, 401);
  EXPECT_EQ(client_->Get("/drain").status, 401);
  EXPECT_EQ(asked.load(), 0);
  EXPECT_EQ(client_->Get("/health").status, 200);
}

TEST_F(NodeServerTest, ANodeWithoutAnOwnerThatDrainsRefusesToDrain) {
  Start(DrainOptions(nullptr));  // `tokenfab serve`'s in-process nodes
  const Answer refused = client_->Post("/drain", "", Operator());
  EXPECT_EQ(refused.status, 501) << refused.body;
  EXPECT_EQ(StateOf(client_->Get("/drain", Operator())), "serving");
  EXPECT_EQ(client_->Get("/health").status, 200);
}

TEST_F(NodeServerTest, DrainByRequestLetsStreamsFinishAndRefusesNewWork) {
  std::atomic<int> asked{0};
  Start(DrainOptions([&] { asked.fetch_add(1); }));
  EXPECT_EQ(client_->Get("/health").status, 200);
  EXPECT_EQ(StateOf(client_->Get("/drain", Operator())), "serving");

  RunningStream stream = StartRunningStream();

  const Answer accepted = client_->Post("/drain", "", Operator());
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(StateOf(accepted), "draining");
  EXPECT_EQ(client_->Post("/drain", "", Operator()).status, 202);
  EXPECT_EQ(asked.load(), 1) << "the owner hears a drain request once";
  EXPECT_EQ(client_->Get("/health").status, 503) << "a readiness check takes it out at once";
  EXPECT_EQ(client_->Get("/live").status, 200) << "a liveness check must not restart it";
  // Until the owner drains it (after withdrawing it from routing), it still serves.
  EXPECT_EQ(client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 2})").status, 200);

  EXPECT_EQ(node_->Drain(10s), 0u) << "the stream finished within the grace";
  StreamAnswer finished = stream.answer.get();
  EXPECT_TRUE(finished.done.ok()) << finished.done;
  ASSERT_FALSE(finished.events.empty());
  EXPECT_EQ(finished.events.back(), "[DONE]");
  const Answer late = client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 2})");
  EXPECT_EQ(late.status, 503) << late.body;
  EXPECT_EQ(client_->Get("/live").status, 200);
  EXPECT_EQ(client_->Get("/load", Operator()).status, 200) << "operations routes still answer";
  EXPECT_EQ(StateOf(client_->Get("/drain", Operator())), "draining");

  auto reported = std::async(std::launch::async, [this] { return node_->ReportDrained(10s); });
  Answer state;
  for (int i = 0; i < 1000 && StateOf(state) != "drained"; ++i) {
    state = client_->Get("/drain", Operator());
  }
  EXPECT_EQ(StateOf(state), "drained");
  EXPECT_TRUE(reported.get());
}

TEST_F(NodeServerTest, ReportDrainedGivesUpAfterItsLinger) {
  Start(DrainOptions([] {}, ""));
  EXPECT_EQ(node_->Drain(1s), 0u);
  EXPECT_FALSE(node_->ReportDrained(20ms)) << "nobody asked for the state";
}

}  // namespace
}  // namespace tokenfab::node
