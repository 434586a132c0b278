#include "sim/sim_node.h"

#include <gtest/gtest.h>

#include "tokenfab/engine/performance_model.h"

namespace tokenfab::sim {
namespace {

// The twin's /load carries the engine's queue-delay estimate (it used to report it unknown):
// nothing when idle; with the one running slot taken and a request waiting, the wait covers at
// least the running request's remaining tokens at the measured TPOT.
TEST(SimNodeTest, LoadReportsTheEnginesQueueDelayEstimate) {
  fleet::Upstream up;
  up.name = "n";
  fleet::Site site;
  site.name = "s";
  engine::PerformanceModel perf;
  perf.base_us = 10'000;  // 10 ms a step, whatever it computes
  auto model = StepTimeModel::Measured(perf);
  ASSERT_TRUE(model.ok()) << model.status();
  SimNodeOptions options;
  options.scheduler.num_kv_blocks = 64;
  options.scheduler.max_context_tokens = 1024;
  options.scheduler.max_running_sequences = 1;
  options.scheduler.max_batch_tokens = 64;
  options.scheduler.max_prefill_chunk_tokens = 64;
  SimNode node(up, site, *model, options);
  EXPECT_EQ(node.Load(0).queue_delay_ms, 0.0);

  for (engine::RequestId id : {1, 2}) {
    engine::RequestSpec spec;
    spec.id = id;
    spec.prompt.assign(8, static_cast<engine::Token>(10 * id));
    spec.sampling.max_tokens = 100;
    ASSERT_TRUE(node.Submit(std::move(spec), 0).ok());
  }
  int64_t now = 0;
  for (int step = 0; step < 20; ++step) {
    now = node.BeginStep(now);
    ASSERT_GE(now, 0);
    node.EndStep();
  }
  const gateway::UpstreamLoad load = node.Load(now);
  ASSERT_EQ(load.running, 1);
  ASSERT_EQ(load.waiting, 1);
  ASSERT_GT(load.tpot_ms, 0.0);
  // The running request has 100 - 19 = 81 tokens or more left.
  EXPECT_GE(load.queue_delay_ms, 81 * load.tpot_ms);
}

}  // namespace
}  // namespace tokenfab::sim
