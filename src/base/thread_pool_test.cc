#include "tokenfab/base/thread_pool.h"

#include <atomic>
#include <latch>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::base {
namespace {

TEST(ThreadPoolTest, ParallelForCoversEveryIndexOnce) {
  ThreadPool pool(4);
  for (int64_t n : {0, 1, 3, 4, 5, 17, 1000}) {
    for (int64_t min_chunk : {1, 2, 64}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, min_chunk, [&](int64_t begin, int64_t end) {
        ASSERT_LT(begin, end);
        for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPoolTest, RespectsMinChunk) {
  ThreadPool pool(4);
  std::atomic<int> calls{0};
  pool.ParallelFor(10, 8, [&](int64_t begin, int64_t end) { calls.fetch_add(1); });
  EXPECT_EQ(calls.load(), 2);
}

TEST(ThreadPoolTest, NestedParallelForRunsInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.ParallelFor(8, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pool.ParallelFor(10, 1, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
    }
  });
  EXPECT_EQ(total.load(), 80);
}

TEST(ThreadPoolTest, ScheduleRunsEverythingBeforeDestruction) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 100; ++i) pool.Schedule([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPoolTest, SingleThreadPoolRunsInline) {
  ThreadPool pool(1);
  int ran = 0;
  pool.Schedule([&] { ++ran; });
  EXPECT_EQ(ran, 1);
  pool.ParallelFor(5, 1, [&](int64_t b, int64_t e) { ran += static_cast<int>(e - b); });
  EXPECT_EQ(ran, 6);
}

}  // namespace
}  // namespace tokenfab::base
