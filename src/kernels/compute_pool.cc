#include "tokenfab/kernels/compute_pool.h"

#include <chrono>

#include "tokenfab/base/check.h"

namespace tokenfab::kernels {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

constexpr uint64_t kCountMask = (uint64_t{1} << 31) - 1;

uint32_t OpNumber(uint64_t state) { return static_cast<uint32_t>(state >> 32); }

}  // namespace

ComputePool::ComputePool(int num_threads, int spin_us)
    : num_threads_(num_threads), spin_us_(spin_us) {
  TF_CHECK(num_threads >= 1) << "num_threads=" << num_threads;
  workers_.reserve(num_threads - 1);
  for (int t = 1; t < num_threads; ++t) workers_.emplace_back([this, t] { WorkerLoop(t); });
}

ComputePool::~ComputePool() {
  stopping_.store(true);
  wake_.fetch_add(1);
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ComputePool::DoTasks(int thread) {
  for (;;) {
    const int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n_tasks_) return;
    fn_(ctx_, task, thread);
  }
}

bool ComputePool::TryJoin(uint64_t state) {
  const uint32_t op = OpNumber(state);
  while (OpNumber(state) == op && (state & kClosed) == 0) {
    if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void ComputePool::RunErased(int64_t n_tasks, TaskFn fn, void* ctx) {
  if (n_tasks <= 0) return;
  TF_CHECK(!running_.exchange(true, std::memory_order_acquire))
      << "ComputePool::Run called concurrently or from inside a task";
  if (workers_.empty() || n_tasks == 1) {
    for (int64_t task = 0; task < n_tasks; ++task) fn(ctx, task, 0);
    running_.store(false, std::memory_order_release);
    return;
  }
  // The previous op is closed, so no worker reads these fields now.
  fn_ = fn;
  ctx_ = ctx;
  n_tasks_ = n_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  const uint32_t op = OpNumber(state_.load(std::memory_order_relaxed)) + 1;
  state_.store(static_cast<uint64_t>(op) << 32, std::memory_order_release);  // open, no workers
  // seq_cst pairs with the sleepers_ increment in WorkerLoop: either the worker sees the new value
  // before it sleeps or we see it sleeping and wake it.
  wake_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) wake_.notify_all();

  DoTasks(0);
  // Every task is claimed; wait for the workers inside the op to finish theirs, then close it.
  uint64_t state = state_.load(std::memory_order_acquire);
  for (int i = 0;; ++i) {
    if ((state & kCountMask) == 0 &&
        state_.compare_exchange_weak(state, state | kClosed, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      break;
    }
    if (i < 100000) {
      CpuRelax();
    } else {
      std::this_thread::yield();  // a joined worker was descheduled mid-task
    }
    state = state_.load(std::memory_order_acquire);
  }
  running_.store(false, std::memory_order_release);
}

void ComputePool::WorkerLoop(int thread) {
  uint32_t seen_op = 0;
  for (;;) {
    // Spin a while for the next op, then sleep.
    const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    uint64_t state = state_.load(std::memory_order_acquire);
    for (int i = 0; OpNumber(state) == seen_op; ++i) {
      if (stopping_.load(std::memory_order_relaxed)) return;
      CpuRelax();
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > spin_until) {
        const uint32_t wake = wake_.load(std::memory_order_seq_cst);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        state = state_.load(std::memory_order_seq_cst);
        if (OpNumber(state) == seen_op && !stopping_.load()) {
          wake_.wait(wake, std::memory_order_seq_cst);
        }
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      state = state_.load(std::memory_order_acquire);
    }
    seen_op = OpNumber(state);
    if (TryJoin(state)) {
      DoTasks(thread);
      state_.fetch_sub(1, std::memory_order_release);
    }
  }
}

}  // namespace tokenfab::kernels
