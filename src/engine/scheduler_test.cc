// Scheduler tests as per-step tables: after each step, the state of every request and the
// tokens it computed in that step, and the KV blocks in use. Cells:
//   Q queued   P prefilling   D decoding   X preempted   F finished   C cancelled   E failed
// followed by the number of tokens computed in the step (none: it computed nothing), or "."
// when the request is not live (not submitted yet, or ended in an earlier row). A terminal state
// shows once, in the row of the step that ended it (or the row after a cancellation).
// The runner is a fake: the n-th generated token of every request is 1000 + n, unless a test
// scripts it. A manual clock advances 10 ms per step; nothing sleeps.
#include "tokenfab/engine/scheduler.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"

namespace tokenfab::engine {
namespace {

constexpr int64_t kStepMicros = 10'000;

SchedulerConfig Config(int block_size, int blocks, int max_running, int budget, int chunk,
                       bool caching = true) {
  SchedulerConfig c;
  c.block_size = block_size;
  c.num_kv_blocks = blocks;
  c.max_context_tokens = blocks * block_size;
  c.max_running_sequences = max_running;
  c.max_batch_tokens = budget;
  c.max_prefill_chunk_tokens = chunk;
  c.enable_prefix_caching = caching;
  c.admission_reserve_blocks = 0;
  return c;
}

struct Req {
  int prompt_len = 4;
  int max_tokens = 4;
  int priority = 0;
  std::vector<Token> prompt = {};  // overrides prompt_len
  uint64_t salt = 0;
  std::vector<Token> stop_token_ids = {};
  std::vector<Token> script = {};  // generated tokens, overriding 1000 + n
  int stop_string_at = -1;         // the engine reports a stop string on this generated token
  bool error_at_step = false;
};

class StepTable {
 public:
  explicit StepTable(const SchedulerConfig& config)
      : metrics_(registry_), scheduler_(config, clock_, &metrics_) {}

  RequestId Submit(const std::string& name, Req r) {
    const RequestId id = static_cast<RequestId>(names_.size() + 1);
    RequestSpec spec;
    spec.id = id;
    spec.prompt = r.prompt;
    if (spec.prompt.empty()) {
      for (int i = 0; i < r.prompt_len; ++i)
        spec.prompt.push_back(static_cast<Token>(id * 100 + i));
    }
    spec.priority = r.priority;
    spec.tenant_salt = r.salt;
    spec.sampling.max_tokens = r.max_tokens;
    spec.sampling.stop_token_ids = r.stop_token_ids;
    const Status s = scheduler_.Submit(std::move(spec));
    EXPECT_TRUE(s.ok()) << s;
    names_.push_back(name);
    ids_[name] = id;
    reqs_[id] = std::move(r);
    return id;
  }

  void Cancel(const std::string& name) {
    ASSERT_TRUE(scheduler_.Cancel(ids_.at(name)).ok());
    Collect();
  }

  void Step(int n = 1) {
    for (int i = 0; i < n; ++i) StepOnce();
  }

  void StepOnce() {
    const ScheduledBatch batch = scheduler_.Schedule();
    std::map<RequestId, int> computed;
    std::vector<SequenceResult> results(batch.sequences.size());
    fed_.clear();
    for (size_t i = 0; i < batch.sequences.size(); ++i) {
      const ScheduledSequence& seq = batch.sequences[i];
      computed[seq.id] = static_cast<int>(seq.tokens.size());
      fed_[seq.id].assign(seq.tokens.begin(), seq.tokens.end());
      positions_[seq.id] = seq.position;
      const Req& r = reqs_.at(seq.id);
      if (r.error_at_step) {
        results[i].finish = FinishReason::kError;
        continue;
      }
      if (!seq.logits) continue;
      const int n = scheduler_.Find(seq.id)->num_generated_tokens();
      results[i].token = n < static_cast<int>(r.script.size()) ? r.script[n] : 1000 + n;
      if (n == r.stop_string_at) results[i].finish = FinishReason::kStop;
    }
    updates_ = scheduler_.Update(batch, results);
    Collect();
    scheduler_.CheckInvariants();
    rows_.push_back(MakeRow(scheduler_.step(), computed));
    clock_.Advance(kStepMicros);
  }

  // The table so far, header first.
  std::string Table() const {
    std::string out = "step";
    for (const std::string& n : names_) {
      out += ' ';
      out += n;
    }
    out += " kv\n";
    for (const Row& row : rows_) {
      out += std::to_string(row.step);
      for (const std::string& n : names_) {
        const auto it = row.cells.find(n);
        out += ' ';
        out += it == row.cells.end() ? std::string(".") : it->second;
      }
      out += ' ';
      out += std::to_string(row.kv_used);
      out += '\n';
    }
    return out;
  }

  const ScheduledRequest* Record(const std::string& name) const {
    const RequestId id = ids_.at(name);
    if (const ScheduledRequest* live = scheduler_.Find(id)) return live;
    const auto it = done_.find(id);
    return it == done_.end() ? nullptr : it->second.get();
  }
  std::vector<Token> Fed(const std::string& name) const {
    const auto it = fed_.find(ids_.at(name));
    return it == fed_.end() ? std::vector<Token>{} : it->second;
  }
  int Position(const std::string& name) const { return positions_.at(ids_.at(name)); }
  const std::vector<RequestUpdate>& updates() const { return updates_; }
  Scheduler& scheduler() { return scheduler_; }
  base::ManualClock& clock() { return clock_; }
  const EngineMetrics& metrics() const { return metrics_; }
  const base::MetricsRegistry& registry() const { return registry_; }

 private:
  void Collect() {
    for (auto& r : scheduler_.TakeTerminated()) {
      const RequestId id = r->id();
      done_[id] = std::move(r);
    }
  }

  // Requests submitted later show "." in earlier rows (filled in by Table()).
  struct Row {
    uint64_t step;
    std::map<std::string, std::string> cells;
    int kv_used;
  };

  Row MakeRow(uint64_t step, const std::map<RequestId, int>& computed) {
    Row row{step, {}, scheduler_.kv().num_used_blocks()};
    for (const std::string& name : names_) {
      const RequestId id = ids_.at(name);
      const ScheduledRequest* r = Record(name);
      const bool show = scheduler_.Find(id) != nullptr || !shown_terminal_[id];
      if (!show) {
        row.cells.emplace(name, ".");
        continue;
      }
      if (IsTerminal(r->state())) shown_terminal_[id] = true;
      const auto it = computed.find(id);
      row.cells.emplace(name, it == computed.end() ? Letter(r->state())
                                                   : absl::StrCat(Letter(r->state()), it->second));
    }
    return row;
  }

  static std::string Letter(RequestState s) {
    switch (s) {
      case RequestState::kQueued:
        return "Q";
      case RequestState::kPrefilling:
        return "P";
      case RequestState::kDecoding:
        return "D";
      case RequestState::kPreempted:
        return "X";
      case RequestState::kFinished:
        return "F";
      case RequestState::kCancelled:
        return "C";
      case RequestState::kFailed:
        return "E";
    }
    return "?";
  }

  base::ManualClock clock_;
  base::MetricsRegistry registry_;
  EngineMetrics metrics_;
  Scheduler scheduler_;
  std::vector<std::string> names_;
  std::map<std::string, RequestId> ids_;
  std::map<RequestId, Req> reqs_;
  std::map<RequestId, std::unique_ptr<ScheduledRequest>> done_;
  std::map<RequestId, bool> shown_terminal_;
  std::map<RequestId, std::vector<Token>> fed_;
  std::map<RequestId, int> positions_;
  std::vector<RequestUpdate> updates_;
  std::vector<Row> rows_;
};

// Compares tables cell by cell, ignoring spacing and blank lines.
std::vector<std::vector<std::string>> Cells(std::string_view table) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(table.data(), table.size()), '\n')) {
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (!cells.empty()) rows.push_back(std::move(cells));
  }
  return rows;
}

#define EXPECT_TABLE(harness, expected) \
  EXPECT_EQ(Cells((harness).Table()), Cells(expected)) << "actual:\n" << (harness).Table()

std::vector<Token> Concat(std::vector<Token> a, const std::vector<Token>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(SchedulerTableTest, ChunkedPrefillThenDecodeThenFinish) {
  StepTable t(Config(/*block=*/4, /*blocks=*/16, /*running=*/4, /*budget=*/8, /*chunk=*/8));
  t.Submit("A", {.prompt_len = 10, .max_tokens = 3});
  t.Submit("B", {.prompt_len = 6, .max_tokens = 2});
  t.Step(4);
  EXPECT_TABLE(t, R"(
    step A  B  kv
    1    P8 P  5
    2    D2 D6 5
    3    D1 F1 3
    4    F1 .  0
  )");
  EXPECT_EQ(t.Record("A")->finish_reason(), FinishReason::kLength);
  EXPECT_EQ(
      std::vector<Token>(t.Record("A")->generated().begin(), t.Record("A")->generated().end()),
      (std::vector<Token>{1000, 1001, 1002}));
}

TEST(SchedulerTableTest, LongPromptNeverStallsRunningStreams) {
  // Budget 10, chunks of 8: the two streams decode at every step while the 30-token prompt is
  // spread over four steps.
  StepTable t(Config(4, 32, 4, /*budget=*/10, /*chunk=*/8));
  t.Submit("S1", {.prompt_len = 2, .max_tokens = 9});
  t.Submit("S2", {.prompt_len = 2, .max_tokens = 9});
  t.Step();
  t.Submit("L", {.prompt_len = 30, .max_tokens = 2});
  t.Step(5);
  EXPECT_TABLE(t, R"(
    step S1 S2 L  kv
    1    D2 D2 .  2
    2    D1 D1 P8 10
    3    D1 D1 P8 10
    4    D1 D1 P8 12
    5    D1 D1 D6 12
    6    D1 D1 F1 4
  )");
}

TEST(SchedulerTableTest, PreemptionByRecomputationAndResume) {
  // 6 blocks of 4 tokens; two requests grow until the pool runs out. The later one (B) is
  // preempted, waits for A to finish, then recomputes prompt + generated and continues.
  StepTable t(Config(4, 6, 4, 16, 16, /*caching=*/false));
  t.Submit("A", {.prompt_len = 8, .max_tokens = 8});
  t.Submit("B", {.prompt_len = 8, .max_tokens = 8});
  t.Step(8);
  const std::vector<Token> b_prompt(t.Record("B")->tokens().begin(),
                                    t.Record("B")->tokens().begin() + 8);
  t.Step();
  // The recomputation feeds the prompt and the five tokens generated before the preemption.
  EXPECT_EQ(t.Fed("B"), Concat(b_prompt, {1000, 1001, 1002, 1003, 1004}));
  EXPECT_EQ(t.Position("B"), 0);
  t.Step(2);
  EXPECT_TABLE(t, R"(
    step A  B   kv
    1    D8 D8  4
    2    D1 D1  6
    3    D1 D1  6
    4    D1 D1  6
    5    D1 D1  6
    6    D1 X   4
    7    D1 X   4
    8    F1 X   0
    9    .  D13 4
    10   .  D1  4
    11   .  F1  0
  )");
  const ScheduledRequest* b = t.Record("B");
  EXPECT_EQ(b->num_preemptions(), 1);
  EXPECT_EQ(std::vector<Token>(b->generated().begin(), b->generated().end()),
            (std::vector<Token>{1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007}));
  EXPECT_EQ(t.metrics().preemptions().Value(), 1);
}

TEST(SchedulerTableTest, PriorityThenArrivalOrdersAdmission) {
  StepTable t(Config(4, 16, /*running=*/1, 8, 8));
  t.Submit("L", {.prompt_len = 4, .max_tokens = 2, .priority = 0});
  t.Submit("H", {.prompt_len = 4, .max_tokens = 2, .priority = 5});
  t.Submit("M", {.prompt_len = 4, .max_tokens = 2, .priority = 1});
  t.Submit("L2", {.prompt_len = 4, .max_tokens = 2, .priority = 0});
  t.Step(8);
  EXPECT_TABLE(t, R"(
    step L  H  M  L2 kv
    1    Q  D4 Q  Q  1
    2    Q  F1 Q  Q  0
    3    Q  .  D4 Q  1
    4    Q  .  F1 Q  0
    5    D4 .  .  Q  1
    6    F1 .  .  Q  0
    7    .  .  .  D4 1
    8    .  .  .  F1 0
  )");
}

TEST(SchedulerTableTest, HigherPriorityTakesTheSlotOfTheLastRunning) {
  // Two running slots held by priority 0; a priority 1 request preempts the later one, which
  // resumes from its cached prompt block once the slot frees.
  StepTable t(Config(4, 16, /*running=*/2, 8, 8));
  t.Submit("L1", {.prompt_len = 4, .max_tokens = 10});
  t.Submit("L2", {.prompt_len = 4, .max_tokens = 10});
  t.Step(2);
  t.Submit("H", {.prompt_len = 4, .max_tokens = 2, .priority = 1});
  t.Step(3);
  EXPECT_TABLE(t, R"(
    step L1 L2 H  kv
    1    D4 D4 .  2
    2    D1 D1 .  4
    3    D1 X  D4 3
    4    D1 X  F1 2
    5    D1 D2 .  4
  )");
  EXPECT_EQ(t.Record("L2")->num_cached_prompt_tokens(), 0) << "set at the first admission only";
}

TEST(SchedulerTableTest, HigherPriorityPreemptsForKvBlocks) {
  StepTable t(Config(4, 6, 4, 16, 16, /*caching=*/false));
  t.Submit("L1", {.prompt_len = 8, .max_tokens = 10});
  t.Submit("L2", {.prompt_len = 8, .max_tokens = 10});
  t.Step();
  t.Submit("H", {.prompt_len = 8, .max_tokens = 10, .priority = 1});
  t.Step();
  EXPECT_TABLE(t, R"(
    step L1 L2 H  kv
    1    D8 D8 .  4
    2    D1 X  D8 5
  )");
}

TEST(SchedulerTableTest, EqualPriorityNeverPreemptsForAdmission) {
  StepTable t(Config(4, 6, 4, 16, 16, /*caching=*/false));
  t.Submit("A", {.prompt_len = 8, .max_tokens = 10});
  t.Submit("B", {.prompt_len = 8, .max_tokens = 10});
  t.Step();
  t.Submit("C", {.prompt_len = 8, .max_tokens = 10});
  t.Step();
  EXPECT_TABLE(t, R"(
    step A  B  C kv
    1    D8 D8 . 4
    2    D1 D1 Q 6
  )");
}

TEST(SchedulerTableTest, CancelFreesBlocksAtOnce) {
  StepTable t(Config(4, 16, 4, 8, 8));
  t.Submit("A", {.prompt_len = 10, .max_tokens = 5});
  t.Submit("B", {.prompt_len = 4, .max_tokens = 5});
  t.Step();
  EXPECT_EQ(t.scheduler().kv().num_used_blocks(), 4);
  t.Cancel("A");
  EXPECT_EQ(t.scheduler().kv().num_used_blocks(), 1) << "A's three blocks are back now";
  EXPECT_TRUE(absl::IsNotFound(t.scheduler().Cancel(1)));
  t.Step();
  t.Cancel("B");
  EXPECT_EQ(t.scheduler().kv().num_used_blocks(), 0);
  t.Step();
  EXPECT_TABLE(t, R"(
    step A  B  kv
    1    P8 P  4
    2    C  D4 1
    3    .  C  0
  )");
  EXPECT_EQ(t.Record("A")->finish_reason(), FinishReason::kCancelled);
  EXPECT_FALSE(t.scheduler().HasWork());
}

TEST(SchedulerTableTest, PrefixCacheHitSkipsCachedPromptTokens) {
  StepTable t(Config(4, 16, 4, 32, 32));
  std::vector<Token> shared;
  for (int i = 0; i < 12; ++i) shared.push_back(500 + i);
  t.Submit("A", {.max_tokens = 5, .prompt = shared});
  t.Step();
  // B starts with A's 12 tokens while A still runs: the three full blocks are shared.
  t.Submit("B", {.max_tokens = 2, .prompt = Concat(shared, {7, 8})});
  // C has the same tokens under another tenant's salt: no hit.
  t.Submit("C", {.max_tokens = 2, .prompt = Concat(shared, {7, 8}), .salt = 99});
  t.Step(2);
  EXPECT_TABLE(t, R"(
    step A   B  C   kv
    1    D12 .  .   3
    2    D1  D2 D14 9
    3    D1  F1 F1  4
  )");
  EXPECT_EQ(t.Record("B")->num_cached_prompt_tokens(), 12);
  EXPECT_EQ(t.Record("C")->num_cached_prompt_tokens(), 0);
  EXPECT_EQ(t.metrics().prefix_queries().Value(), 12 + 14 + 14);
  EXPECT_EQ(t.metrics().prefix_hits().Value(), 12);
  EXPECT_EQ(t.scheduler().kv().prefix_cache().stats().hits, 1);
}

TEST(SchedulerTableTest, StopConditions) {
  SchedulerConfig config = Config(4, 8, 4, 32, 32);
  config.max_context_tokens = 16;
  StepTable t(config);
  t.Submit("tok", {.prompt_len = 4, .max_tokens = 10, .stop_token_ids = {7}, .script = {5, 7}});
  t.Submit("str", {.prompt_len = 4, .max_tokens = 10, .stop_string_at = 2});
  t.Submit("ctx", {.prompt_len = 14, .max_tokens = 10});  // 2 tokens left in the context
  t.Submit("err", {.prompt_len = 4, .max_tokens = 10, .error_at_step = true});
  t.Step(3);
  EXPECT_TABLE(t, R"(
    step tok str ctx err kv
    1    D4  D4  D14 E4  6
    2    F1  D1  F1  .   2
    3    .   F1  .   .   0
  )");
  EXPECT_EQ(t.Record("tok")->finish_reason(), FinishReason::kStop);
  EXPECT_EQ(t.Record("str")->finish_reason(), FinishReason::kStop);
  EXPECT_EQ(t.Record("ctx")->finish_reason(), FinishReason::kLength);
  EXPECT_EQ(t.Record("ctx")->num_tokens(), 16);
  EXPECT_EQ(t.Record("err")->finish_reason(), FinishReason::kError);
  EXPECT_EQ(t.Record("tok")->num_generated_tokens(), 2) << "the stop token counts as generated";
  EXPECT_EQ(t.metrics().finished(FinishReason::kStop).Value(), 2);
  EXPECT_EQ(t.metrics().finished(FinishReason::kLength).Value(), 1);
  EXPECT_EQ(t.metrics().finished(FinishReason::kError).Value(), 1);
}

TEST(SchedulerTableTest, UpdatesReportTokensAndStopTokens) {
  StepTable t(Config(4, 8, 4, 32, 32));
  t.Submit("A", {.prompt_len = 3, .max_tokens = 5, .stop_token_ids = {2}, .script = {9, 2}});
  t.Step();
  ASSERT_EQ(t.updates().size(), 1u);
  EXPECT_EQ(t.updates()[0].token, 9);
  EXPECT_TRUE(t.updates()[0].first_token);
  EXPECT_FALSE(t.updates()[0].stop_token);
  EXPECT_EQ(t.updates()[0].state, RequestState::kDecoding);
  t.Step();
  ASSERT_EQ(t.updates().size(), 1u);
  EXPECT_EQ(t.updates()[0].token, 2);
  EXPECT_FALSE(t.updates()[0].first_token);
  EXPECT_TRUE(t.updates()[0].stop_token);
  EXPECT_EQ(t.updates()[0].state, RequestState::kFinished);
  EXPECT_EQ(t.updates()[0].finish_reason, FinishReason::kStop);
}

TEST(SchedulerTest, SubmitRejectsBadRequests) {
  base::ManualClock clock;
  SchedulerConfig config = Config(4, 8, 4, 32, 32);
  Scheduler s(config, clock);
  RequestSpec spec;
  spec.id = 1;
  EXPECT_TRUE(absl::IsInvalidArgument(s.Submit(spec)));  // empty prompt
  spec.prompt = {1, -2};
  EXPECT_TRUE(absl::IsInvalidArgument(s.Submit(spec)));
  spec.prompt.assign(32, 5);  // the whole context: no room to generate
  EXPECT_TRUE(absl::IsInvalidArgument(s.Submit(spec)));
  spec.prompt = {1, 2};
  spec.sampling.top_p = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(s.Submit(spec)));
  spec.sampling.top_p = 1;
  spec.sampling.max_tokens = 1000;
  ASSERT_TRUE(s.Submit(spec).ok());
  EXPECT_EQ(s.Find(1)->max_new_tokens(), 30) << "cut to the context length";
  EXPECT_TRUE(absl::IsAlreadyExists(s.Submit(spec)));
  EXPECT_EQ(s.num_waiting(), 1);
}

TEST(SchedulerTest, MetricsFollowTheManualClock) {
  StepTable t(Config(4, 16, 4, 16, 16));
  t.Submit("A", {.prompt_len = 5, .max_tokens = 3});
  t.clock().Advance(5'000);  // queued for 5 ms before the first step
  t.Step(3);
  const EngineMetrics& m = t.metrics();
  EXPECT_EQ(m.queue_time().Count(), 1u);
  EXPECT_DOUBLE_EQ(m.queue_time().Sum(), 0.005);
  EXPECT_EQ(m.time_to_first_token().Count(), 1u);
  EXPECT_DOUBLE_EQ(m.time_to_first_token().Sum(), 0.005);
  EXPECT_EQ(m.time_per_output_token().Count(), 2u);
  EXPECT_DOUBLE_EQ(m.time_per_output_token().Sum(), 0.020);
  EXPECT_EQ(m.end_to_end().Count(), 1u);
  EXPECT_DOUBLE_EQ(m.end_to_end().Sum(), 0.025);
  EXPECT_EQ(m.prompt_tokens().Value(), 5);
  EXPECT_EQ(m.generation_tokens().Value(), 3);
  EXPECT_EQ(m.finished(FinishReason::kLength).Value(), 1);
  EXPECT_EQ(m.running().Value(), 0);
  EXPECT_EQ(m.kv_cache_usage().Value(), 0);
  const std::string text = t.registry().WritePrometheusText();
  EXPECT_THAT(text, testing::HasSubstr("tokenfab:time_to_first_token_seconds_count 1"));
  EXPECT_THAT(text,
              testing::HasSubstr("tokenfab:request_success_total{finished_reason=\"length\"} 1"));
}

TEST(SchedulerTest, GaugesTrackRunningWaitingAndKvUse) {
  StepTable t(Config(4, 8, /*running=*/1, 8, 8));
  t.Submit("A", {.prompt_len = 8, .max_tokens = 4});
  t.Submit("B", {.prompt_len = 4, .max_tokens = 4});
  EXPECT_EQ(t.metrics().waiting().Value(), 2);
  t.Step();
  EXPECT_EQ(t.metrics().running().Value(), 1);
  EXPECT_EQ(t.metrics().waiting().Value(), 1);
  EXPECT_DOUBLE_EQ(t.metrics().kv_cache_usage().Value(), 2.0 / 8.0);
}

// A scheduler with one request submitted and its first step scheduled (in flight).
void ScheduleOneStep(Scheduler& s) {
  RequestSpec spec;
  spec.id = 1;
  spec.prompt = {1, 2};
  ASSERT_TRUE(s.Submit(spec).ok());
  ASSERT_FALSE(s.Schedule().empty());
}

void ScheduleTwiceWithoutUpdate() {
  base::ManualClock clock;
  Scheduler s(Config(4, 8, 4, 32, 32), clock);
  ScheduleOneStep(s);
  (void)s.Schedule();
}

void CancelWhileInFlight() {
  base::ManualClock clock;
  Scheduler s(Config(4, 8, 4, 32, 32), clock);
  ScheduleOneStep(s);
  (void)s.Cancel(1);
}

TEST(SchedulerDeathTest, ContractViolationsAbort) {
  EXPECT_DEATH(ScheduleTwiceWithoutUpdate(), "before Update");
  EXPECT_DEATH(CancelWhileInFlight(), "in flight");
}

}  // namespace
}  // namespace tokenfab::engine
