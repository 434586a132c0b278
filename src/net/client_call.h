// One HTTP client call in flight: the state its ClientCall handle shares with it, and StartCall,
// which runs the call (resolve, connect or reuse a pooled connection, send, stream the
// response, retry once on a stale reused connection) as a coroutine on one of the pool's loops.
// Internal to the net layer.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "absl/synchronization/mutex.h"

#include "http_client_core.h"
#include "tokenfab/net/http_client.h"

namespace tokenfab::net {

namespace internal {

// What a ClientCall handle shares with its call's coroutine. No Boost types: the coroutine
// installs `poke`, which posts to its loop.
struct CallState {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;  // on_done has run
  bool cancel_requested ABSL_GUARDED_BY(mu) = false;
  bool paused ABSL_GUARDED_BY(mu) = false;
  std::function<void()> poke ABSL_GUARDED_BY(mu);  // wakes the coroutine; null once done
};

}  // namespace internal

// Starts `request` on its loop (request.loop, or one the pool picks) and returns its handle.
// `max_body_bytes` bounds the response body (0: no limit).
std::shared_ptr<ClientCall> StartCall(const std::shared_ptr<HttpClient::Core>& core,
                                      ClientRequest request, StreamCallbacks callbacks,
                                      size_t max_body_bytes);

}  // namespace tokenfab::net
