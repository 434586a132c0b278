// MembershipWatcher: a gateway's live view of the nodes registered in etcd (the etcd MemberWatch
// of registry_backend.h; start it with StartMemberWatch).
//
// A thread lists the prefix (one range read, at revision R), hands the view to the listener,
// then watches the prefix from R + 1 and hands over the view again after each batch of changes.
// When the registry goes away (the watch ends, a list fails) the listener hears `up = false`
// with the last view, and the thread lists again after `retry`, until it succeeds. A record
// that does not decode is logged and left out of the view.
//
// The listener runs on the watcher's thread, one call at a time; it may block (a gateway reload)
// but must not call Stop(). Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/status.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/registry/etcd_client.h"
#include "tokenfab/registry/membership.h"
#include "tokenfab/registry/registry_backend.h"
#include "tokenfab/registry/registry_url.h"

namespace tokenfab::registry {

class MembershipWatcher final : public MemberWatch {
 public:
  using Listener = MemberListener;

  // Starts the thread; the first list happens on it (Start does not wait for the registry).
  [[nodiscard]] static StatusOr<std::unique_ptr<MembershipWatcher>> Start(
      const RegistryUrl& url, Listener listener,
      std::chrono::milliseconds retry = std::chrono::milliseconds(500));
  ~MembershipWatcher() override;  // Stop()

  void Stop() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  MembershipWatcher(const RegistryUrl& url, Listener listener, std::chrono::milliseconds retry);
  void Loop();
  // Lists the prefix into view_; the revision read at, or the error.
  StatusOr<int64_t> List();
  // Watches from `revision` until the watch ends or Stop(); applies changes and tells the
  // listener.
  void Watch(int64_t revision);
  void Apply(const std::vector<EtcdEvent>& events);
  void Tell(bool up);
  // Waits up to `d`; false when stopping.
  bool Sleep(std::chrono::milliseconds d) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string prefix_;
  const Listener listener_;
  const std::chrono::milliseconds retry_;
  net::IoContextPool pool_;
  EtcdClient etcd_;
  std::thread thread_;

  MemberView view_;  // the watcher thread's only
  bool told_up_ = false;
  bool told_once_ = false;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<std::vector<EtcdEvent>> pending_ ABSL_GUARDED_BY(mu_);  // from the watch's loop
  bool watch_done_ ABSL_GUARDED_BY(mu_) = false;
  Status watch_status_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<net::ClientCall> call_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokenfab::registry
