// HttpClient::Core: what every call of one HttpClient shares: per loop, the idle connections
// kept for reuse and the resolved host names; the options; the counters behind stats(). Calls
// (client_call.h) hold it through a shared_ptr, so it outlives the HttpClient while they run.
// Internal to the net layer.
//
// Thread-safety: `loops[i]` is touched only on loop i's thread; the counters and `closed` are
// atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "io_context_pool_internal.h"
#include "tokenfab/net/http_client.h"
#include "transport.h"

namespace tokenfab::net {

struct HttpClient::Core {
  struct IdleConnection {
    std::unique_ptr<internal::Transport> stream;
    std::chrono::steady_clock::time_point since;
  };
  struct Resolved {
    std::vector<asio::ip::tcp::endpoint> endpoints;
    std::chrono::steady_clock::time_point expiry;
  };
  // What one loop owns; touched only on that loop's thread.
  struct LoopState {
    std::unordered_map<std::string, std::vector<IdleConnection>> idle;  // by "host:port"
    std::unordered_map<std::string, Resolved> resolved;                 // by "host:port"
  };

  // Builds the TLS context for https:// calls; when the options are broken, every https call
  // fails with the reason (http calls still work).
  Core(IoContextPool::Impl* pool_in, HttpClientOptions options_in);

  // An idle connection to `key` that still looks alive, or null. Loop thread only.
  std::unique_ptr<internal::Transport> TakeIdle(int loop, const std::string& key);
  // Keeps `stream` for reuse, unless the client is closing or enough are kept. Loop thread only.
  void ReturnIdle(int loop, const std::string& key, std::unique_ptr<internal::Transport> stream);

  const HttpClientOptions options;
  // The context of https calls, or why there is none.
  const StatusOr<std::shared_ptr<asio::ssl::context>> tls;
  IoContextPool::Impl* const pool;
  std::vector<LoopState> loops;
  std::atomic<bool> closed{false};
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> connections_opened{0};
  std::atomic<int64_t> connections_reused{0};
  std::atomic<int64_t> retries{0};
};

}  // namespace tokenfab::net
