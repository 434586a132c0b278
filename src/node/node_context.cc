#include "node/node_context.h"

#include "node/completion_call.h"
#include "tokenfab/api/bearer_token.h"
#include "tokenfab/base/constant_time.h"
#include "tokenfab/base/splitmix64.h"

#include "absl/synchronization/mutex.h"

namespace tokenfab::node {
NodeContext::NodeContext(const NodeOptions& options, base::Clock& clock)
    : options(options),
      clock(clock),
      started_unix_s(clock.WallMicros() / 1'000'000),
      metrics(registry, {}),
      id_seed_(static_cast<uint64_t>(clock.WallMicros()) ^ static_cast<uint64_t>(clock.NowMicros())
                                                               << 20) {}

NodeContext::~NodeContext() = default;

void NodeContext::Answer(net::HttpExchange& exchange, std::string_view handler,
                         net::HttpResponse response) {
  const int code = response.status;
  const bool sent = exchange.Respond(std::move(response)).ok();
  metrics.CountResponse(handler, sent ? code : 499);
}

ModelHost* NodeContext::ready_host() const {
  if (stopping.load(std::memory_order_acquire)) return nullptr;
  return host_ptr.load(std::memory_order_acquire);
}

api::ApiError NodeContext::NotReadyError() const {
  if (stopping.load(std::memory_order_acquire)) {
    return api::OverloadedError(503, "the node is shutting down", options.loading_retry_after_s);
  }
  return api::OverloadedError(503, "the model is still loading", options.loading_retry_after_s);
}

std::optional<api::ApiError> NodeContext::KeyError(const net::HttpRequest& request) const {
  if (options.api_key.empty()) return std::nullopt;
  std::optional<std::string_view> key =
      api::ParseBearerToken(request.headers.Get("Authorization").value_or(""));
  if (!key.has_value()) return api::MissingApiKeyError();
  if (!base::ConstantTimeEquals(*key, options.api_key)) return api::InvalidApiKeyError();
  return std::nullopt;
}

uint64_t NodeContext::Register(std::shared_ptr<CompletionCall> call) {
  absl::MutexLock lock(&calls_mu_);
  const uint64_t id = next_call_id_++;
  calls_.emplace(id, std::move(call));
  metrics.SetStreamsOpen(static_cast<int64_t>(calls_.size()));
  return id;
}

void NodeContext::Unregister(uint64_t id) {
  std::shared_ptr<CompletionCall> call;  // released after the lock
  absl::MutexLock lock(&calls_mu_);
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  call = std::move(it->second);
  calls_.erase(it);
  metrics.SetStreamsOpen(static_cast<int64_t>(calls_.size()));
}

size_t NodeContext::num_calls() const {
  absl::MutexLock lock(&calls_mu_);
  return calls_.size();
}

uint64_t NodeContext::NextIdBits() {
  return base::SplitMix64(id_seed_ + id_counter_.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace tokenfab::node
