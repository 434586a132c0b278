// Randomised tests of the scheduler with a shadow of the KV cache: thousands of submit, cancel,
// fail and step operations against a small pool (so preemption, eviction and prefix sharing are
// frequent), with the block accounting audited after every operation and every K/V read checked
// against what the sequence itself would have written.
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/random.h"
#include "tokenfab/engine/scheduler.h"

namespace tokenfab::engine {
namespace {

// Stands in for the model runner. A real runner's K/V at a position depend on the tokens of the
// sequence up to that position (and, by policy, must belong to the same tenant); the shadow
// stores exactly that per slot. Before "computing" a chunk it checks that every earlier position
// of the sequence, read through its block table, holds its own prefix: so a shared prefix block,
// a resumed sequence or a chunk boundary never hands a sequence K/V it did not mean to read.
class ShadowRunner {
 public:
  ShadowRunner(int num_blocks, int block_size)
      : block_size_(block_size), slots_(static_cast<size_t>(num_blocks) * block_size) {}

  void Run(const ScheduledSequence& seq, const ScheduledRequest& request) {
    const auto tokens = request.tokens();
    const int end = seq.position + static_cast<int>(seq.tokens.size());
    ASSERT_LE(end, static_cast<int>(tokens.size()));
    ASSERT_GE(static_cast<int>(seq.block_table.size()) * block_size_, end);
    ASSERT_TRUE(std::equal(seq.tokens.begin(), seq.tokens.end(), tokens.begin() + seq.position))
        << "fed tokens differ from the sequence at position " << seq.position;
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int p = 0; p < end; ++p) {
      h = (h ^ static_cast<uint64_t>(tokens[p])) * 0x100000001b3ULL;
      Slot& slot = slots_[static_cast<size_t>(seq.block_table[p / block_size_]) * block_size_ +
                          p % block_size_];
      if (p < seq.position) {
        ASSERT_TRUE(slot.written && slot.prefix_hash == h &&
                    slot.salt == request.spec().tenant_salt)
            << "request " << request.id() << " reads wrong K/V at position " << p;
      } else {
        slot = {h, request.spec().tenant_salt, true};
      }
    }
    EXPECT_EQ(seq.logits, end == request.num_tokens());
  }

 private:
  struct Slot {
    uint64_t prefix_hash = 0;
    uint64_t salt = 0;
    bool written = false;
  };
  const int block_size_;
  std::vector<Slot> slots_;
};

// The n-th generated token of request `id`: fixed, so a resumed request must continue exactly.
Token FakeToken(RequestId id, int n) { return static_cast<Token>((id * 7919 + n * 104729) % 50); }

struct Tally {
  int finished = 0;
  int cancelled = 0;
  int failed = 0;
};

void CheckTerminated(const ScheduledRequest& r, Tally* tally) {
  for (int i = 0; i < r.num_generated_tokens(); ++i) {
    ASSERT_EQ(r.generated()[i], FakeToken(r.id(), i)) << "request " << r.id() << " token " << i;
  }
  ASSERT_LE(r.num_generated_tokens(), r.max_new_tokens());
  switch (r.state()) {
    case RequestState::kFinished:
      ++tally->finished;
      if (r.finish_reason() == FinishReason::kLength) {
        ASSERT_EQ(r.num_generated_tokens(), r.max_new_tokens());
      }
      break;
    case RequestState::kCancelled:
      ++tally->cancelled;
      break;
    case RequestState::kFailed:
      ++tally->failed;
      break;
    default:
      FAIL() << "terminated request in state " << RequestStateName(r.state());
  }
}

SchedulerConfig SmallConfig(int chunk) {
  SchedulerConfig c;
  c.block_size = 4;
  c.num_kv_blocks = 24;
  c.max_context_tokens = 64;
  c.max_running_sequences = 6;
  c.max_batch_tokens = 16;
  c.max_prefill_chunk_tokens = chunk;
  c.admission_reserve_blocks = 1;
  return c;
}

void RunRandomOperations(uint64_t seed, int operations) {
  base::Random rng(seed);
  base::ManualClock clock;
  base::MetricsRegistry registry;
  EngineMetrics metrics(registry);
  const SchedulerConfig config = SmallConfig(/*chunk=*/5);
  Scheduler s(config, clock, &metrics);
  ShadowRunner shadow(config.num_kv_blocks, config.block_size);
  std::set<RequestId> live;
  RequestId next_id = 1;
  Tally tally;
  const auto collect = [&] {
    for (const auto& r : s.TakeTerminated()) {
      live.erase(r->id());
      CheckTerminated(*r, &tally);
    }
  };
  const auto pick = [&]() -> RequestId {
    auto it = live.begin();
    std::advance(it, static_cast<long>(rng.Below(live.size())));
    return *it;
  };

  for (int op = 0; op < operations; ++op) {
    const uint64_t kind = rng.Below(100);
    if (kind < 30) {
      RequestSpec spec;
      spec.id = next_id++;
      const int stem = static_cast<int>(rng.Below(4));
      const int len = 1 + static_cast<int>(rng.Below(40));
      for (int i = 0; i < len; ++i) {
        spec.prompt.push_back(i < 12 ? stem * 50 + i : 200 + static_cast<Token>(rng.Below(30)));
      }
      spec.priority = static_cast<int32_t>(rng.Below(3));
      spec.tenant_salt = rng.Below(2);
      spec.sampling.max_tokens = 1 + static_cast<int32_t>(rng.Below(24));
      if (rng.Below(4) == 0) spec.sampling.stop_token_ids = {3};
      ASSERT_TRUE(s.Submit(std::move(spec)).ok());
      live.insert(next_id - 1);
    } else if (kind < 40 && !live.empty()) {
      const RequestId id = pick();
      // Cancelling frees, at once, exactly the blocks no other sequence shares.
      const int32_t before = s.kv().num_used_blocks();
      const int32_t exclusive = s.kv().Contains(id) ? s.kv().NumExclusiveBlocks(id) : 0;
      ASSERT_TRUE(s.Cancel(id).ok());
      EXPECT_FALSE(s.kv().Contains(id));
      EXPECT_EQ(s.kv().num_used_blocks(), before - exclusive);
    } else if (kind < 43 && !live.empty()) {
      ASSERT_TRUE(s.Fail(pick()).ok());
    } else {
      const ScheduledBatch batch = s.Schedule();
      ASSERT_LE(batch.num_tokens, config.max_batch_tokens);
      std::vector<SequenceResult> results(batch.sequences.size());
      for (size_t i = 0; i < batch.sequences.size(); ++i) {
        const ScheduledSequence& seq = batch.sequences[i];
        const ScheduledRequest* r = s.Find(seq.id);
        ASSERT_NE(r, nullptr);
        shadow.Run(seq, *r);
        if (::testing::Test::HasFatalFailure()) return;
        if (rng.Below(200) == 0) {
          results[i].finish = FinishReason::kError;
        } else if (seq.logits) {
          results[i].token = FakeToken(seq.id, r->num_generated_tokens());
          if (rng.Below(50) == 0) results[i].finish = FinishReason::kStop;  // a stop string
        }
      }
      s.Update(batch, results);
    }
    collect();
    s.CheckInvariants();
    clock.Advance(1000);
  }
  for (RequestId id : std::vector<RequestId>(live.begin(), live.end())) {
    ASSERT_TRUE(s.Cancel(id).ok());
  }
  collect();
  s.CheckInvariants();
  EXPECT_EQ(s.kv().num_used_blocks(), 0);
  EXPECT_EQ(s.kv().num_available_blocks(), config.num_kv_blocks);
  EXPECT_FALSE(s.HasWork());
  // The run exercised what it is meant to.
  EXPECT_GT(tally.finished, 100);
  EXPECT_GT(tally.cancelled, 100);
  EXPECT_GT(tally.failed, 10);
  EXPECT_GT(metrics.preemptions().Value(), 10);
  EXPECT_GT(metrics.prefix_hits().Value(), 100);
  EXPECT_GT(s.kv().prefix_cache().stats().evicted_blocks, 10);
}

TEST(SchedulerPropertyTest, TenThousandRandomOperationsKeepExactAccounting) {
  RunRandomOperations(/*seed=*/1, 10000);
}

TEST(SchedulerPropertyTest, OtherSeeds) {
  for (uint64_t seed : {2, 3, 4}) {
    SCOPED_TRACE(seed);
    RunRandomOperations(seed, 10000);
  }
}

// Sixteen requests of different lengths, run to completion at every chunk size from 1 to 17:
// every request gets its full output, and every chunk reads exactly its own K/V.
TEST(SchedulerPropertyTest, AnyChunkSizeComputesEverySequenceExactly) {
  for (int chunk = 1; chunk <= 16; ++chunk) {
    SCOPED_TRACE(chunk);
    base::ManualClock clock;
    SchedulerConfig config = SmallConfig(chunk);
    config.num_kv_blocks = 64;
    config.max_context_tokens = 128;
    config.max_running_sequences = 16;
    config.max_batch_tokens = 16;
    Scheduler s(config, clock);
    ShadowRunner shadow(config.num_kv_blocks, config.block_size);
    for (RequestId id = 1; id <= 16; ++id) {
      RequestSpec spec;
      spec.id = id;
      for (int i = 0; i < static_cast<int>(3 * id + 1); ++i) {
        spec.prompt.push_back(static_cast<Token>(i < 8 ? i : id * 10 + i));  // shared stem
      }
      spec.sampling.max_tokens = static_cast<int32_t>(1 + id % 5);
      ASSERT_TRUE(s.Submit(std::move(spec)).ok());
    }
    Tally tally;
    for (int step = 0; step < 1000 && s.HasWork(); ++step) {
      const ScheduledBatch batch = s.Schedule();
      std::vector<SequenceResult> results(batch.sequences.size());
      for (size_t i = 0; i < batch.sequences.size(); ++i) {
        const ScheduledSequence& seq = batch.sequences[i];
        const ScheduledRequest* r = s.Find(seq.id);
        shadow.Run(seq, *r);
        if (::testing::Test::HasFatalFailure()) return;
        if (seq.logits) results[i].token = FakeToken(seq.id, r->num_generated_tokens());
      }
      s.Update(batch, results);
      for (const auto& r : s.TakeTerminated()) {
        CheckTerminated(*r, &tally);
        if (r->finish_reason() == FinishReason::kLength) {
          EXPECT_EQ(r->num_generated_tokens(), static_cast<int>(1 + r->id() % 5));
        }
      }
      s.CheckInvariants();
    }
    EXPECT_FALSE(s.HasWork());
    EXPECT_EQ(tally.finished, 16);
    EXPECT_EQ(s.kv().num_used_blocks(), 0);
  }
}

}  // namespace
}  // namespace tokenfab::engine
