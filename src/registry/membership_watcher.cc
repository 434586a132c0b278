#include "tokenfab/registry/membership_watcher.h"

#include <algorithm>

#include "tokenfab/base/logging.h"

namespace tokenfab::registry {

StatusOr<std::unique_ptr<MembershipWatcher>> MembershipWatcher::Start(
    const RegistryUrl& url, Listener listener, std::chrono::milliseconds retry) {
  if (!listener) return absl::InvalidArgumentError("membership watcher: no listener");
  std::unique_ptr<MembershipWatcher> w(new MembershipWatcher(url, std::move(listener), retry));
  w->thread_ = std::thread([p = w.get()] { p->Loop(); });
  return w;
}

MembershipWatcher::MembershipWatcher(const RegistryUrl& url, Listener listener,
                                     std::chrono::milliseconds retry)
    : prefix_(url.prefix),
      listener_(std::move(listener)),
      retry_(retry),
      pool_(1),
      etcd_(pool_, url.endpoint) {}

MembershipWatcher::~MembershipWatcher() { Stop(); }

void MembershipWatcher::Stop() {
  std::shared_ptr<net::ClientCall> call;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    call = call_;
  }
  if (call) call->Cancel();
  if (thread_.joinable()) thread_.join();
}

bool MembershipWatcher::Sleep(std::chrono::milliseconds d) {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::FromChrono(d));
  return !stopping_;
}

void MembershipWatcher::Tell(bool up) {
  if (told_once_ && up != told_up_) {
    if (up) {
      TF_LOG_INFO("registry {}: reachable again", etcd_.endpoint().HostPort());
    } else {
      TF_LOG_WARN("registry {}: unreachable; serving on the last view ({} members)",
                  etcd_.endpoint().HostPort(), view_.size());
    }
  }
  told_once_ = true;
  told_up_ = up;
  listener_(view_, up);
}

StatusOr<int64_t> MembershipWatcher::List() {
  TF_ASSIGN_OR_RETURN(EtcdRange range, etcd_.RangePrefix(prefix_));
  MemberView view;
  for (const EtcdKeyValue& kv : range.kvs) {
    StatusOr<MemberRecord> record = DecodeMember(kv.value);
    if (!record.ok()) {
      TF_LOG_WARN("registry: {} left out: {}", kv.key, record.status().message());
      continue;
    }
    view.emplace(kv.key, *std::move(record));
  }
  view_ = std::move(view);
  return range.revision;
}

void MembershipWatcher::Apply(const std::vector<EtcdEvent>& events) {
  for (const EtcdEvent& e : events) {
    if (e.deleted) {
      view_.erase(e.kv.key);
      continue;
    }
    StatusOr<MemberRecord> record = DecodeMember(e.kv.value);
    if (!record.ok()) {
      TF_LOG_WARN("registry: {} left out: {}", e.kv.key, record.status().message());
      view_.erase(e.kv.key);
      continue;
    }
    view_[e.kv.key] = *std::move(record);
  }
}

void MembershipWatcher::Watch(int64_t revision) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    watch_done_ = false;
    pending_.clear();
  }
  // Started outside the lock: its callbacks take it.
  std::shared_ptr<net::ClientCall> call = etcd_.WatchPrefix(
      prefix_, revision + 1,
      [this](std::vector<EtcdEvent> events, int64_t) {
        absl::MutexLock l(&mu_);
        pending_.push_back(std::move(events));
      },
      [this](Status status) {
        absl::MutexLock l(&mu_);
        watch_done_ = true;
        watch_status_ = status;
      });
  bool stopping = false;
  {
    absl::MutexLock lock(&mu_);
    call_ = call;
    stopping = stopping_;
  }
  if (stopping) call->Cancel();
  while (true) {
    std::deque<std::vector<EtcdEvent>> batches;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || watch_done_ || !pending_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      batches.swap(pending_);
      if (batches.empty() && watch_done_) {
        if (!stopping_) TF_LOG_WARN("registry: watch ended: {}", watch_status_.message());
        call_.reset();
        return;
      }
    }
    if (batches.empty()) {  // stopping: end the watch, and wait for its last callback
      call->Cancel();
      absl::MutexLock lock(&mu_);
      auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return watch_done_; };
      mu_.Await(absl::Condition(&done));
      call_.reset();
      return;
    }
    for (const auto& batch : batches) Apply(batch);
    Tell(true);
  }
}

void MembershipWatcher::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    StatusOr<int64_t> revision = List();
    if (!revision.ok()) {
      if (!told_once_ || told_up_) {
        TF_LOG_WARN("registry: list failed: {}", revision.status().message());
      }
      Tell(false);
      if (!Sleep(retry_)) break;
      continue;
    }
    Tell(true);
    Watch(*revision);
    // The watch ended (the registry restarted, or compacted past it): list again, soon. A
    // registry that stays away is reported by the failing list.
    if (!Sleep(std::min(retry_, std::chrono::milliseconds(100)))) break;
  }
}

}  // namespace tokenfab::registry
