#include "upstream_poller.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "tokenfab/api/server_timing.h"

#include "tokenfab/base/logging.h"

namespace tokenfab::gateway {

int64_t TransportRttMicros(const StatusOr<net::HttpResponse>& answer, int64_t poll_micros) {
  if (!answer.ok()) return poll_micros;
  const std::optional<std::string_view> timing = answer->headers.Get(api::kServerTimingHeader);
  if (!timing) return poll_micros;
  const std::optional<int64_t> server = api::ServerTimingMicros(*timing);
  if (!server) return poll_micros;
  // A server clock running ahead of ours must not make the network free.
  return std::max<int64_t>(poll_micros - *server, 0);
}

std::chrono::microseconds PollPeriod(std::chrono::milliseconds interval, size_t upstreams,
                                     double polls_per_s) {
  const std::chrono::microseconds floor = interval;
  if (!(polls_per_s > 0)) return floor;
  const double budget_micros = static_cast<double>(upstreams) / polls_per_s * 1e6;
  // Beyond a day the budget means nothing any more (and the cast must not overflow).
  const auto stretched =
      std::chrono::microseconds(static_cast<int64_t>(std::min(budget_micros, 86'400e6)));
  return std::max(floor, stretched);
}

std::chrono::microseconds FirstPollDelay(std::chrono::microseconds period, size_t i, size_t n,
                                         double polls_per_s) {
  if (n == 0 || !(polls_per_s > 0)) return std::chrono::microseconds(0);
  const double step_micros =
      std::min(static_cast<double>(period.count()) / static_cast<double>(n), 1e6 / polls_per_s);
  return std::chrono::microseconds(static_cast<int64_t>(step_micros * static_cast<double>(i)));
}

UpstreamPoller::UpstreamPoller(FleetState& state, net::HttpClient& client, TimerQueue& timers,
                               const base::Clock& clock, PollOptions options)
    : state_(state),
      client_(client),
      timers_(timers),
      clock_(clock),
      options_(options),
      period_(options.interval) {}

UpstreamPoller::~UpstreamPoller() { Stop(); }

void UpstreamPoller::Sync() {
  std::shared_ptr<const FleetGeneration> generation = state_.generation();
  if (!generation) return;
  std::vector<std::shared_ptr<UpstreamRuntime>> fresh;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    period_ = PollPeriod(options_.interval, generation->upstreams.size(), options_.polls_per_s);
    for (const auto& runtime : generation->upstreams) {
      if (cycling_.insert(runtime.get()).second) fresh.push_back(runtime);
    }
    for (size_t i = 1; i < fresh.size(); ++i) {
      ScheduleLocked(fresh[i], FirstPollDelay(period_, i, fresh.size(), options_.polls_per_s));
    }
  }
  if (!fresh.empty()) PollNow(std::move(fresh[0]));
}

void UpstreamPoller::ScheduleLocked(std::shared_ptr<UpstreamRuntime> runtime,
                                    std::chrono::microseconds delay) {
  // The timer callback may run before this function returns; it takes mu_ first.
  auto id_slot = std::make_shared<uint64_t>(0);
  const uint64_t id = timers_.RunAfter(delay, [this, runtime = std::move(runtime), id_slot] {
    {
      absl::MutexLock inner(&mu_);
      timers_pending_.erase(*id_slot);
    }
    PollNow(runtime);
  });
  *id_slot = id;
  timers_pending_.insert(id);
}

void UpstreamPoller::PollNow(std::shared_ptr<UpstreamRuntime> runtime) {
  net::ClientRequest request;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || runtime->retired()) {
      cycling_.erase(runtime.get());
      return;
    }
    ++in_flight_;
  }
  const int64_t started = clock_.NowMicros();
  if (!runtime->url()) {
    OnPolled(runtime,
             absl::InvalidArgumentError("only http:// and https:// upstreams can be reached"),
             started);
    return;
  }
  request.method = "GET";
  request.url = runtime->url()->WithPath(LoadPath(runtime->kind()));
  const bool tokenfab = runtime->kind() == fleet::UpstreamKind::kTokenfabNode ||
                        runtime->kind() == fleet::UpstreamKind::kTokenfabGateway;
  const std::string& credential =
      tokenfab && !options_.operator_token.empty() ? options_.operator_token : runtime->api_key();
  if (!credential.empty()) request.headers.Add("Authorization", "Bearer " + credential);
  std::shared_ptr<net::ClientCall> call = client_.Fetch(
      std::move(request), [this, runtime, started](StatusOr<net::HttpResponse> answer) {
        OnPolled(runtime, std::move(answer), started);
      });
  absl::MutexLock lock(&mu_);
  if (!call->done()) calls_.insert(call);
  // Calls that ended meanwhile are dropped from the set in OnPolled's sweep.
}

void UpstreamPoller::OnPolled(const std::shared_ptr<UpstreamRuntime>& runtime,
                              StatusOr<net::HttpResponse> answer, int64_t started_micros) {
  const int64_t rtt = clock_.NowMicros() - started_micros;
  StatusOr<UpstreamLoad> load = absl::UnknownError("no answer");
  if (!answer.ok()) {
    load = answer.status();
  } else if (answer->status != 200) {
    load = absl::UnavailableError(
        fmt::format("{} answered {}", LoadPath(runtime->kind()), answer->status));
  } else if (rtt >
             std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout).count()) {
    load = absl::DeadlineExceededError(fmt::format("poll took {} ms", rtt / 1000));
  } else {
    switch (runtime->kind()) {
      case fleet::UpstreamKind::kTokenfabNode:
      case fleet::UpstreamKind::kTokenfabGateway:
        load = ParseTokenfabLoad(answer->body);
        break;
      case fleet::UpstreamKind::kVllm:
      case fleet::UpstreamKind::kSglang:
      case fleet::UpstreamKind::kLlamaCpp:
        load = runtime->metrics_reader().Read(answer->body);
        break;
      case fleet::UpstreamKind::kOpenAi:
        load = UpstreamLoad{};
        break;
    }
  }
  const bool changed = runtime->ReportPoll(load, TransportRttMicros(answer, rtt),
                                           clock_.WallMicros(), options_.health);
  if (changed) {
    const fleet::UpstreamState now = runtime->polled();
    if (now.healthy) {
      TF_LOG_INFO("upstream {} is up (rtt {:.1f} ms)", runtime->name(), now.rtt_ms);
    } else {
      TF_LOG_WARN("upstream {} is down: {}", runtime->name(), load.status().message());
    }
  }
  state_.Publish();
  absl::MutexLock lock(&mu_);
  ++polls_;
  --in_flight_;
  for (auto it = calls_.begin(); it != calls_.end();) {
    it = (*it)->done() ? calls_.erase(it) : std::next(it);
  }
  if (stopping_ || runtime->retired()) {
    cycling_.erase(runtime.get());
    if (in_flight_ == 0) idle_.SignalAll();
    return;
  }
  ScheduleLocked(runtime, period_);
}

void UpstreamPoller::Stop() {
  std::unordered_set<std::shared_ptr<net::ClientCall>> calls;
  std::unordered_set<uint64_t> pending;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && in_flight_ == 0 && timers_pending_.empty()) return;
    stopping_ = true;
    calls = calls_;
    pending = timers_pending_;
  }
  for (uint64_t id : pending) {
    if (timers_.Cancel(id)) {
      absl::MutexLock lock(&mu_);
      timers_pending_.erase(id);
    }
  }
  for (const auto& call : calls) call->Cancel();
  absl::MutexLock lock(&mu_);
  while (in_flight_ != 0) idle_.Wait(&mu_);
}

int64_t UpstreamPoller::polls() const {
  absl::MutexLock lock(&mu_);
  return polls_;
}

}  // namespace tokenfab::gateway
