// The scheduler's TPOT-sized prefill: a long prompt arrives while eight streams decode, under a
// step-time model simple enough to compute each step by hand.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/clock.h"
#include "tokenfab/engine/scheduler.h"

namespace tokenfab::engine {
namespace {

// A step costs 10 ms, plus 250 µs per decoding sequence, plus 20 µs per prompt token.
PerformanceModel HandModel() {
  PerformanceModel m;
  m.base_us = 10'000;
  m.per_decode_sequence_us = 250;
  m.per_prefill_token_us = 20;
  return m;
}

SchedulerConfig Config(int64_t tpot_slo_us) {
  SchedulerConfig c;
  c.block_size = 16;
  c.num_kv_blocks = 2'000;
  c.max_context_tokens = 16'000;
  c.max_running_sequences = 16;
  c.max_batch_tokens = 2'048;
  c.max_prefill_chunk_tokens = 2'048;
  c.admission_reserve_blocks = 0;
  c.tpot_slo_us = tpot_slo_us;
  c.step_model = HandModel();
  c.min_prefill_tokens = 64;
  return c;
}

RequestSpec Spec(RequestId id, int prompt_len, int max_tokens, int64_t tpot_slo_us = 0) {
  RequestSpec spec;
  spec.id = id;
  for (int i = 0; i < prompt_len; ++i) spec.prompt.push_back(static_cast<Token>(id * 10'000 + i));
  spec.sampling.max_tokens = max_tokens;
  spec.tpot_slo_us = tpot_slo_us;
  return spec;
}

// Runs the scheduler step by step with a fake runner (every sampled token is 7).
class Driver {
 public:
  explicit Driver(const SchedulerConfig& config) : scheduler_(config, clock_) {}

  void Submit(RequestSpec spec) { ASSERT_TRUE(scheduler_.Submit(std::move(spec)).ok()); }

  // One step; returns its batch's prefill tokens for `id` (0 when it computed none) and records
  // the modelled step time.
  int Step(RequestId id) {
    const ScheduledBatch batch = scheduler_.Schedule();
    std::vector<SequenceResult> results(batch.sequences.size());
    int prefilled = 0;
    for (size_t i = 0; i < batch.sequences.size(); ++i) {
      const ScheduledSequence& seq = batch.sequences[i];
      if (seq.logits) results[i].token = 7;
      if (seq.id == id && seq.prefill) prefilled = static_cast<int>(seq.tokens.size());
    }
    last_step_us_ = HandModel().StepMicros(batch);
    scheduler_.Update(batch, results);
    for (const auto& done : scheduler_.TakeTerminated()) finished_.push_back(done->id());
    clock_.Advance(last_step_us_);
    return prefilled;
  }

  // Eight short requests, admitted and prefilled in one step, then decoding.
  void StartDecoders(int64_t tpot_slo_us_of_first = 0) {
    for (RequestId id = 1; id <= 8; ++id) {
      Submit(Spec(id, 16, 1'000, id == 1 ? tpot_slo_us_of_first : 0));
    }
    Step(0);
    ASSERT_EQ(scheduler_.num_running(), 8);
  }

  // Steps until request `id` has no prompt left, collecting its chunk sizes; fails after 50.
  std::vector<int> PrefillChunks(RequestId id) {
    std::vector<int> chunks;
    for (int i = 0; i < 50; ++i) {
      const int n = Step(id);
      if (n > 0) chunks.push_back(n);
      max_step_us_ = std::max(max_step_us_, last_step_us_);
      const ScheduledRequest* r = scheduler_.Find(id);
      if (r == nullptr || r->num_generated_tokens() > 0) break;
    }
    return chunks;
  }

  Scheduler& scheduler() { return scheduler_; }
  int64_t max_step_us() const { return max_step_us_; }
  const std::vector<RequestId>& finished() const { return finished_; }

 private:
  base::ManualClock clock_;
  Scheduler scheduler_;
  int64_t last_step_us_ = 0;
  int64_t max_step_us_ = 0;
  std::vector<RequestId> finished_;
};

TEST(SchedulerTpotTest, LongPromptIsChunkedSoThatDecodesKeepTheirSlo) {
  // With eight decodes a step costs 10,000 + 8 * 250 = 12,000 µs before prefill; a 30 ms SLO
  // leaves 18,000 µs = 900 prompt tokens per step: 4,000 tokens go in 900 x 4 + 400.
  Driver d(Config(30'000));
  d.StartDecoders();
  d.Submit(Spec(100, 4'000, 3));
  EXPECT_EQ(d.PrefillChunks(100), (std::vector<int>{900, 900, 900, 900, 400}));
  EXPECT_LE(d.max_step_us(), 30'000);
  EXPECT_EQ(d.max_step_us(), 30'000);  // the 900-token steps use the SLO exactly
  // The prompt completes: two more steps finish its three tokens.
  d.Step(0);
  d.Step(0);
  EXPECT_EQ(d.finished(), (std::vector<RequestId>{100}));
}

TEST(SchedulerTpotTest, FixedBudgetStallsTheDecodesOfTheSameCase) {
  // No SLO: the prompt takes what the eight decodes leave of 2,048 tokens, 2,040, and that step
  // costs 12,000 + 2,040 * 20 = 52,800 µs, well over 30 ms.
  Driver d(Config(0));
  d.StartDecoders();
  d.Submit(Spec(100, 4'000, 3));
  EXPECT_EQ(d.PrefillChunks(100), (std::vector<int>{2'040, 1'960}));
  EXPECT_EQ(d.max_step_us(), 52'800);
}

TEST(SchedulerTpotTest, TightestDecodingRequestsSloWins) {
  // Request 1 carries a 20 ms SLO, tighter than the node's 30 ms: 8,000 µs are left, 400
  // tokens per step.
  Driver d(Config(30'000));
  d.StartDecoders(/*tpot_slo_us_of_first=*/20'000);
  d.Submit(Spec(100, 1'000, 3));
  EXPECT_EQ(d.PrefillChunks(100), (std::vector<int>{400, 400, 200}));
  EXPECT_LE(d.max_step_us(), 20'000);
}

TEST(SchedulerTpotTest, PrefillKeepsItsFloorWhenTheDecodesAloneOutlastTheSlo) {
  // An 11 ms SLO is below the eight decodes' 12,000 µs: nothing fits, yet the prompt still gets
  // its 64 tokens per step (a step of 12,000 + 64 * 20 = 13,280 µs) and completes.
  Driver d(Config(11'000));
  d.StartDecoders();
  d.Submit(Spec(100, 200, 3));
  EXPECT_EQ(d.PrefillChunks(100), (std::vector<int>{64, 64, 64, 8}));
  EXPECT_EQ(d.max_step_us(), 13'280);
}

TEST(SchedulerTpotTest, WithoutTheFloorTheSloStarvesThePrompt) {
  // The same case with min_prefill_tokens = 0: the decodes take every step and the prompt waits.
  SchedulerConfig config = Config(11'000);
  config.min_prefill_tokens = 0;
  Driver d(config);
  d.StartDecoders();
  d.Submit(Spec(100, 200, 3));
  EXPECT_EQ(d.PrefillChunks(100), std::vector<int>{});
  EXPECT_EQ(d.max_step_us(), 12'000);
}

TEST(SchedulerTpotTest, NothingDecodingGivesPrefillTheWholeBudget) {
  // Alone, the prompt takes full 2,048-token chunks although such a step costs 50,960 µs.
  Driver d(Config(30'000));
  d.Submit(Spec(100, 4'000, 3));
  EXPECT_EQ(d.PrefillChunks(100), (std::vector<int>{2'048, 1'952}));
  EXPECT_EQ(d.max_step_us(), 10'000 + 2'048 * 20);
}

TEST(SchedulerTpotTest, NegativeSloIsRefused) {
  base::ManualClock clock;
  Scheduler scheduler(Config(30'000), clock);
  EXPECT_EQ(scheduler.Submit(Spec(1, 4, 4, -1)).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokenfab::engine
