#include "tokenfab/kernels/compute_pool.h"

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::kernels {
namespace {

TEST(ComputePoolTest, RunsEveryTaskOnceOnValidThreads) {
  for (int threads : {1, 2, 3, 5}) {
    ComputePool pool(threads);
    for (int64_t n : {0, 1, 2, 3, 7, 64, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> bad_thread{0};
      pool.Run(n, [&](int64_t task, int thread) {
        hits[task].fetch_add(1);
        if (thread < 0 || thread >= threads) bad_thread.fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "threads=" << threads;
      EXPECT_EQ(bad_thread.load(), 0);
    }
  }
}

TEST(ComputePoolTest, ManyBackToBackOpsSeeEachOthersWrites) {
  // Each op reads what the previous op wrote: the barrier at the end of Run must publish it.
  ComputePool pool(3);
  std::vector<int64_t> data(64, 0);
  for (int op = 0; op < 20000; ++op) {
    pool.Run(64, [&](int64_t task, int) {
      ASSERT_EQ(data[task], op);
      data[task] = op + 1;
    });
  }
  for (int64_t v : data) EXPECT_EQ(v, 20000);
}

TEST(ComputePoolTest, WakesWorkersThatWentToSleep) {
  // spin_us = 0: workers sleep right after each op, so each op has to wake one. Each op's two
  // tasks wait for each other, which only completes when a second thread runs one of them.
  ComputePool pool(2, /*spin_us=*/0);
  for (int op = 0; op < 100; ++op) {
    std::atomic<int> arrived{0};
    std::atomic<bool> paired{true};
    pool.Run(2, [&](int64_t, int) {
      arrived.fetch_add(1);
      int64_t spins = 0;
      while (arrived.load() < 2 && ++spins < 2000000000) {
      }
      if (arrived.load() < 2) paired = false;
    });
    ASSERT_TRUE(paired.load()) << "op " << op << ": no worker woke up";
  }
}

TEST(ComputePoolTest, AllThreadsTakePartInLongTasks) {
  ComputePool pool(3);
  std::vector<std::atomic<int>> per_thread(3);
  pool.Run(3, [&](int64_t, int thread) {
    per_thread[thread].fetch_add(1);
    // Hold the task until every thread has one, proving three ran at once.
    int arrived = 0;
    for (int spin = 0; spin < 200000000 && arrived < 3; ++spin) {
      arrived = per_thread[0].load() + per_thread[1].load() + per_thread[2].load();
    }
  });
  for (auto& count : per_thread) EXPECT_EQ(count.load(), 1);
}

TEST(ComputePoolDeathTest, NestedRunIsABrokenInvariant) {
  EXPECT_DEATH(
      {
        ComputePool pool(2);
        pool.Run(4, [&](int64_t, int) { pool.Run(2, [](int64_t, int) {}); });
      },
      "concurrently or from inside a task");
}

}  // namespace
}  // namespace tokenfab::kernels
