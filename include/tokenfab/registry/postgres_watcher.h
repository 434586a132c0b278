// PostgresWatcher: a gateway's live view of the nodes registered in PostgreSQL (the PostgreSQL
// MemberWatch of registry_backend.h; start it with StartMemberWatch).
//
// A thread holds one connection: it creates the schema if absent, LISTENs on the registry's
// channel, then lists the live rows (those whose heartbeat is younger than their TTL). It lists
// again on every notification (a node registered, withdrew or left: within milliseconds), when
// the soonest row expires (a node that stopped heartbeating leaves the view at its TTL), and
// every `resync` whatever happens (the safety net). Lists at expiries and resyncs first sweep
// (delete) the expired rows. When the connection breaks the listener hears `up = false` with the
// last view, and the thread connects, listens and lists again every `retry` until it succeeds
// (notifications sent meanwhile are lost; the list after reconnecting covers them).
//
// The listener hears a view when it differs from the last one told, or `up` changed. Records
// that do not decode are logged and left out. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/status.h"
#include "tokenfab/ledger/postgres_pool.h"
#include "tokenfab/registry/membership.h"
#include "tokenfab/registry/registry_backend.h"
#include "tokenfab/registry/registry_url.h"

namespace tokenfab::registry {

class PostgresWatcher final : public MemberWatch {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<PostgresWatcher>> Start(
      const RegistryUrl& url, MemberListener listener, std::chrono::milliseconds retry,
      std::chrono::milliseconds resync = std::chrono::milliseconds(5000));
  ~PostgresWatcher() override;  // Stop()

  void Stop() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  PostgresWatcher(const RegistryUrl& url, MemberListener listener, std::chrono::milliseconds retry,
                  std::chrono::milliseconds resync);
  void Loop();
  // Listens and lists on `session` until it breaks (the error) or Stop() (OK).
  Status Follow(ledger::PostgresSession& session);
  // Sweeps expired rows when `sweep`, lists into view_ and tells the listener when it changed;
  // milliseconds until the soonest row expires (resync_ when there is none).
  StatusOr<int64_t> List(ledger::PostgresSession& session, bool sweep);
  void Tell(bool up);
  bool stopping() const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits up to `d`; false when stopping.
  bool Sleep(std::chrono::milliseconds d) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string prefix_;
  const std::string display_;
  const MemberListener listener_;
  const std::chrono::milliseconds retry_;
  const std::chrono::milliseconds resync_;
  ledger::PostgresPool pool_;  // one connection, the watcher thread's
  std::thread thread_;

  MemberView view_;  // the watcher thread's only
  MemberView told_view_;
  bool told_up_ = false;
  bool told_once_ = false;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tokenfab::registry
