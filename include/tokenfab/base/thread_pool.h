// ThreadPool: a fixed set of worker threads that run queued tasks, plus ParallelFor, which splits
// an index range across the workers and the calling thread and returns when all parts are done.
//
// Thread-safe: Schedule() and ParallelFor() may be called from any thread, including from inside
// a task (a nested ParallelFor runs inline, so it cannot deadlock waiting for busy workers).
// The destructor runs every task already scheduled, then joins the workers.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace tokenfab::base {

class ThreadPool {
 public:
  // REQUIRES: num_threads >= 1. The calling thread counts as one of them in ParallelFor, so
  // num_threads - 1 workers are started.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Runs `task` on a worker some time later (inline when the pool has no workers).
  void Schedule(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

  // Calls fn(begin, end) over disjoint ranges covering [0, n), at most one range per thread,
  // each range at least `min_chunk` long (except the last). Returns when every call returned.
  void ParallelFor(int64_t n, int64_t min_chunk,
                   const std::function<void(int64_t begin, int64_t end)>& fn);

  // The number of hardware threads, at least 1.
  static int HardwareThreads();

 private:
  void WorkerLoop();

  const int num_threads_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace tokenfab::base
