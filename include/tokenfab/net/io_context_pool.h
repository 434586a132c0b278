// IoContextPool: the event loops that run network I/O. N threads, each running its own
// io_context (one loop per core): a connection lives on one loop for its whole life, so its
// handlers never run concurrently and need no locks, and the loops share no queue to contend on.
// The server spreads accepted connections over the loops (fewest open connections first); the
// client runs a call on the loop it is started from when that is one of the pool's, so a gateway
// relays a stream from upstream to downstream without a thread hop.
//
// Boost.Asio stays behind this interface (see io_context_pool_internal.h for the net layer's own
// access). Thread-safe. The pool must outlive every server and client that uses it.
#pragma once

#include <memory>

namespace tokenfab::net {

class IoContextPool {
 public:
  // Starts `num_threads` loops; 0 means one per hardware thread.
  explicit IoContextPool(int num_threads = 0);
  // Stops the loops and joins their threads (Stop()).
  ~IoContextPool();
  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  int size() const;
  // The index of the loop running on the calling thread, or -1 when it is not one of this pool's.
  int CurrentLoop() const;
  // Stops every loop (pending work is dropped) and joins the threads. Idempotent. REQUIRES: not
  // called from one of the pool's own threads.
  void Stop();

  class Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::net
