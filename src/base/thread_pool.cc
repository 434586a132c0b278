#include "tokenfab/base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <latch>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"

namespace tokenfab::base {
namespace {
// Set on worker threads, so a ParallelFor issued from inside a task runs inline.
thread_local const ThreadPool* current_pool = nullptr;
}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(num_threads) {
  TF_CHECK(num_threads >= 1) << "num_threads=" << num_threads;
  workers_.reserve(num_threads - 1);
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::Schedule(std::function<void()> task) {
  if (workers_.empty()) {
    task();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.Signal();
}

void ThreadPool::WorkerLoop() {
  current_pool = this;
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && tasks_.empty()) cv_.Wait(&mu_);
      if (tasks_.empty()) return;  // stopping, and the queue is drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  int64_t parts = std::min<int64_t>(num_threads_, (n + min_chunk - 1) / min_chunk);
  if (parts <= 1 || current_pool == this) {
    fn(0, n);
    return;
  }
  const int64_t chunk = (n + parts - 1) / parts;
  parts = (n + chunk - 1) / chunk;
  std::latch done(parts - 1);
  for (int64_t p = 1; p < parts; ++p) {
    const int64_t begin = p * chunk;
    const int64_t end = std::min(n, begin + chunk);
    Schedule([&fn, &done, begin, end] {
      fn(begin, end);
      done.count_down();
    });
  }
  fn(0, std::min(n, chunk));
  done.wait();
}

int ThreadPool::HardwareThreads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace tokenfab::base
