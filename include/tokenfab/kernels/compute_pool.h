// ComputePool: the thread team that runs one kernel op at a time across `num_threads` threads (the
// calling thread plus num_threads - 1 workers). A decode step issues a few hundred small parallel
// ops, so dispatch must cost microseconds, not the tens of microseconds of a mutex + condition
// variable queue (base::ThreadPool, which serves long independent tasks): workers spin on an
// atomic generation counter for a short while after each op and only then sleep on a futex
// (std::atomic::wait); the caller wakes sleepers only when there are any.
//
// Run(n, fn) calls fn(task, thread) once for every task in [0, n); threads claim tasks from a
// shared atomic counter. A worker joins an op only while it is open and the caller waits only for
// the workers that joined, so a worker the OS has descheduled (the machine is shared, or there are
// more threads than cores) does not stall the op: the others do its share. `thread` is in
// [0, num_threads) (0 = the caller), for per-thread scratch.
//
// Thread-safety: one op at a time. Run() must not be called concurrently from several threads nor
// from inside a task (TF_CHECK). The owner calls Run() from any one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace tokenfab::kernels {

class ComputePool {
 public:
  // REQUIRES: num_threads >= 1. `spin_us` is how long an idle worker polls for the next op
  // before it sleeps.
  explicit ComputePool(int num_threads, int spin_us = 200);
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(int64_t task, int thread) for every task in [0, n_tasks); returns when all returned.
  template <typename Fn>
  void Run(int64_t n_tasks, Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    RunErased(
        n_tasks, [](void* ctx, int64_t task, int thread) { (*static_cast<F*>(ctx))(task, thread); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using TaskFn = void (*)(void* ctx, int64_t task, int thread);

  void RunErased(int64_t n_tasks, TaskFn fn, void* ctx);
  void WorkerLoop(int thread);
  void DoTasks(int thread);
  // Joins the op of `state` if it is still open; returns whether it did.
  bool TryJoin(uint64_t state);

  const int num_threads_;
  const int spin_us_;

  // The current op: written by the caller while no worker has joined, read by joined workers.
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_tasks_ = 0;

  // state_ = op number << 32 | kClosed? | workers inside the op. A worker joins by incrementing the
  // count while the op is open; the caller closes the op once the count is zero.
  static constexpr uint64_t kClosed = uint64_t{1} << 31;
  alignas(64) std::atomic<uint64_t> state_{kClosed};
  alignas(64) std::atomic<int64_t> next_task_{0};
  alignas(64) std::atomic<uint32_t> wake_{0};  // futex word sleeping workers wait on
  std::atomic<int> sleepers_{0};               // workers blocked in wake_.wait()
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};  // guards against concurrent or nested Run
  std::vector<std::thread> workers_;
};

}  // namespace tokenfab::kernels
