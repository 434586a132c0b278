#include "tokenfab/net/io_context_pool.h"

#include <pthread.h>

#include <exception>
#include <string>

#include "io_context_pool_internal.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/base/thread_pool.h"

namespace tokenfab::net {
namespace {

// Which pool and loop the current thread runs, so a call started on a loop stays on it.
thread_local const IoContextPool::Impl* current_pool = nullptr;
thread_local int current_loop = -1;

}  // namespace

IoContextPool::Impl::Impl(int num_threads) {
  if (num_threads <= 0) num_threads = base::ThreadPool::HardwareThreads();
  loops_.reserve(num_threads);
  for (int i = 0; i < num_threads; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->work.emplace(loop->context.get_executor());
    loops_.push_back(std::move(loop));
  }
  for (int i = 0; i < num_threads; ++i) {
    Loop* loop = loops_[i].get();
    loop->thread = std::thread([this, loop, i] {
      current_pool = this;
      current_loop = i;
      const std::string name = "tf-io-" + std::to_string(i);  // shows in top -H, gdb, perf
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      // Handlers in the net layer catch what they call; an exception reaching here is a bug
      // that must not take the process down silently mid-request, so log it and keep serving.
      while (true) {
        try {
          loop->context.run();
          break;
        } catch (const std::exception& e) {
          TF_LOG_ERROR("net: exception escaped an I/O handler on loop {}: {}", i, e.what());
        }
      }
    });
  }
}

IoContextPool::Impl::~Impl() { Stop(); }

int IoContextPool::Impl::LeastLoaded() const {
  int best = 0;
  int best_count = loops_[0]->connections.load(std::memory_order_relaxed);
  for (int i = 1; i < size(); ++i) {
    const int count = loops_[i]->connections.load(std::memory_order_relaxed);
    if (count < best_count) {
      best = i;
      best_count = count;
    }
  }
  return best;
}

int IoContextPool::Impl::PickLoopForCall() {
  if (current_pool == this) return current_loop;
  return static_cast<int>(round_robin_.fetch_add(1, std::memory_order_relaxed) % loops_.size());
}

int IoContextPool::Impl::CurrentLoop() const { return current_pool == this ? current_loop : -1; }

void IoContextPool::Impl::Stop() {
  if (stopped_.exchange(true)) return;
  TF_CHECK(current_pool != this) << "IoContextPool::Stop called from one of its own loops";
  for (auto& loop : loops_) {
    loop->work.reset();
    loop->context.stop();
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
}

IoContextPool::IoContextPool(int num_threads) : impl_(std::make_unique<Impl>(num_threads)) {}
IoContextPool::~IoContextPool() { impl_->Stop(); }
int IoContextPool::size() const { return impl_->size(); }
int IoContextPool::CurrentLoop() const { return impl_->CurrentLoop(); }
void IoContextPool::Stop() { impl_->Stop(); }

}  // namespace tokenfab::net
