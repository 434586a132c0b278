#include "tokenfab/registry/postgres_watcher.h"

#include <algorithm>

#include <fmt/format.h>

#include "postgres_members.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::registry {
namespace {

constexpr auto kPollSlice = std::chrono::milliseconds(100);  // how soon Stop() is noticed
constexpr int64_t kExpiryMarginMs = 20;  // list a little after the soonest expiry, not before

}  // namespace

StatusOr<std::unique_ptr<PostgresWatcher>> PostgresWatcher::Start(
    const RegistryUrl& url, MemberListener listener, std::chrono::milliseconds retry,
    std::chrono::milliseconds resync) {
  if (!listener) return absl::InvalidArgumentError("membership watcher: no listener");
  std::unique_ptr<PostgresWatcher> w(new PostgresWatcher(url, std::move(listener), retry, resync));
  w->thread_ = std::thread([p = w.get()] { p->Loop(); });
  return w;
}

PostgresWatcher::PostgresWatcher(const RegistryUrl& url, MemberListener listener,
                                 std::chrono::milliseconds retry, std::chrono::milliseconds resync)
    : prefix_(url.prefix),
      display_(url.display),
      listener_(std::move(listener)),
      retry_(retry),
      resync_(resync),
      pool_(url.conninfo, 1, "registry") {}

PostgresWatcher::~PostgresWatcher() { Stop(); }

void PostgresWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool PostgresWatcher::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

bool PostgresWatcher::Sleep(std::chrono::milliseconds d) {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::FromChrono(d));
  return !stopping_;
}

void PostgresWatcher::Tell(bool up) {
  if (told_once_ && up == told_up_ && (!up || view_ == told_view_)) return;
  if (told_once_ && up != told_up_) {
    if (up) {
      TF_LOG_INFO("registry {}: reachable again", display_);
    } else {
      TF_LOG_WARN("registry {}: unreachable; serving on the last view ({} members)", display_,
                  view_.size());
    }
  }
  told_once_ = true;
  told_up_ = up;
  if (up) told_view_ = view_;
  listener_(view_, up);
}

StatusOr<int64_t> PostgresWatcher::List(ledger::PostgresSession& session, bool sweep) {
  if (sweep) TF_RETURN_IF_ERROR(session.Execute(internal::kSweepExpired).status());
  MemberView view;
  int64_t soonest_ms = resync_.count();
  TF_RETURN_IF_ERROR(
      session.Query(internal::kListMembers, {prefix_}, [&](const ledger::SqlRow& row) {
        const std::string key = row.Text(0);
        soonest_ms = std::min(soonest_ms, row.Int(2));
        StatusOr<MemberRecord> record = DecodeMember(row.Text(1));
        if (!record.ok()) {
          TF_LOG_WARN("registry: {} left out: {}", key, record.status().message());
          return;
        }
        view.emplace(key, *std::move(record));
      }));
  view_ = std::move(view);
  Tell(true);
  return std::max<int64_t>(soonest_ms, 0);
}

Status PostgresWatcher::Follow(ledger::PostgresSession& session) {
  TF_RETURN_IF_ERROR(internal::EnsureMembersSchema(session));
  TF_RETURN_IF_ERROR(session.Exec(fmt::format("LISTEN {}", internal::kChannel)));
  bool sweep = true;
  while (!stopping()) {
    TF_ASSIGN_OR_RETURN(const int64_t soonest_ms, List(session, sweep));
    const auto wait = std::min<std::chrono::milliseconds>(
        resync_, std::chrono::milliseconds(soonest_ms + kExpiryMarginMs));
    const auto deadline = std::chrono::steady_clock::now() + wait;
    sweep = false;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        sweep = true;
        break;
      }
      TF_ASSIGN_OR_RETURN(std::vector<std::string> notes,
                          session.WaitForNotifications(std::min(left, kPollSlice)));
      if (!notes.empty() || stopping()) break;
    }
  }
  return absl::OkStatus();
}

void PostgresWatcher::Loop() {
  while (!stopping()) {
    StatusOr<std::unique_ptr<ledger::PostgresSession>> session = pool_.Acquire();
    Status s = session.ok() ? Follow(**session) : session.status();
    session = absl::UnavailableError("released");  // the connection back to the pool
    if (stopping()) break;
    if (!told_once_ || told_up_) TF_LOG_WARN("registry {}: {}", display_, s.message());
    Tell(false);
    if (!Sleep(retry_)) break;
  }
}

}  // namespace tokenfab::registry
