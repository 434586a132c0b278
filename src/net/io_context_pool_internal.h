// The Boost.Asio side of IoContextPool, for the net layer's own translation units only.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "tokenfab/net/io_context_pool.h"

namespace tokenfab::net {

namespace asio = boost::asio;

class IoContextPool::Impl {
 public:
  explicit Impl(int num_threads);
  ~Impl();

  int size() const { return static_cast<int>(loops_.size()); }
  asio::io_context& context(int loop) { return loops_[loop]->context; }
  // The loop with the fewest open connections (ties: the lowest index).
  int LeastLoaded() const;
  // The count of open connections on `loop`, for LeastLoaded(); its owner updates it from any
  // thread. Stays valid while the loop's context destroys its pending handlers.
  std::atomic<int>& connection_count(int loop) { return loops_[loop]->connections; }
  // A loop for a new client call: the calling thread's loop when it is one of ours, otherwise
  // the next one round-robin.
  int PickLoopForCall();
  int CurrentLoop() const;
  void Stop();
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }

 private:
  // Members in destruction order, reversed: the context goes first, and the handlers it
  // destroys may still count connections.
  struct Loop {
    std::atomic<int> connections{0};
    std::thread thread;
    asio::io_context context{1};  // concurrency hint: one thread runs it
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<unsigned> round_robin_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace tokenfab::net
