// HeartbeatLoop: the thread that keeps a node's registry entry alive, whatever the store
// (registry_backend.h): the etcd registration (node_registration.h) and the PostgreSQL one
// (postgres_registration.h) each give it their heartbeat, and it calls that every `period`
// until Stop().
//
// A registry that is away must not fill the log: a heartbeat that fails is logged once ("heartbeat
// of KEY failed"), and once again when one succeeds ("heartbeats of KEY resumed"); the failures
// in between are silent. The registration's first attempt, made before the loop starts, counts
// as the first heartbeat: when it failed, it is logged ("cannot register KEY yet (retrying)")
// and the first heartbeat that succeeds says so.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/status.h"

namespace tokenfab::registry {

class HeartbeatLoop {
 public:
  // One heartbeat: keep the entry alive, or register it again. Runs on the loop's thread, one
  // call at a time.
  using Beat = std::function<Status()>;

  // Starts the thread; the first heartbeat comes `period` after. `first`: how the registration
  // attempted before went. REQUIRES: period > 0.
  HeartbeatLoop(std::string key, std::chrono::milliseconds period, Beat beat, const Status& first);
  ~HeartbeatLoop();  // Stop()
  HeartbeatLoop(const HeartbeatLoop&) = delete;
  HeartbeatLoop& operator=(const HeartbeatLoop&) = delete;

  // Returns once the thread has ended, without waiting out the period (a heartbeat in progress
  // completes first). No heartbeat runs after it. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Whether the last heartbeat (or the first attempt, before any) failed.
  bool failing() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string key_;
  const std::chrono::milliseconds period_;
  const Beat beat_;

  absl::Mutex join_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // held while joining the thread
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace tokenfab::registry
