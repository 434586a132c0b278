// EtcdClient: the few etcd v3 calls membership needs, spoken as JSON to the gRPC gateway that
// etcd (3.4 and later) serves on its client port (/v3/kv/range, /v3/kv/put, /v3/kv/deleterange,
// /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke, /v3/watch). Keys and values travel
// base64-encoded; 64-bit integers as decimal strings.
//
// The blocking calls wait at most `call_timeout` each. REQUIRES: not called on `pool`'s threads.
// Thread-safe. The pool must outlive the client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/http_url.h"
#include "tokenfab/net/io_context_pool.h"

namespace tokenfab::registry {

struct EtcdKeyValue {
  std::string key;
  std::string value;  // empty for a deletion event
  int64_t mod_revision = 0;
};

struct EtcdRange {
  std::vector<EtcdKeyValue> kvs;
  int64_t revision = 0;  // the store's revision the range was read at
};

struct EtcdEvent {
  bool deleted = false;
  EtcdKeyValue kv;
};

class EtcdClient {
 public:
  EtcdClient(net::IoContextPool& pool, net::HttpUrl endpoint,
             std::chrono::milliseconds call_timeout = std::chrono::milliseconds(2000));
  ~EtcdClient();

  // A lease of `ttl_s` seconds; its id.
  [[nodiscard]] StatusOr<int64_t> Grant(int64_t ttl_s);
  // One keep-alive: the lease's TTL now (s), 0 when the lease no longer exists.
  [[nodiscard]] StatusOr<int64_t> KeepAlive(int64_t lease);
  // Revokes the lease: every key attached to it is deleted. A lease already gone is OK.
  [[nodiscard]] Status Revoke(int64_t lease);
  // Puts `key` = `value`, attached to `lease` (0: none).
  [[nodiscard]] Status Put(std::string_view key, std::string_view value, int64_t lease);
  [[nodiscard]] Status Delete(std::string_view key);
  // Every key starting with `prefix`.
  [[nodiscard]] StatusOr<EtcdRange> RangePrefix(std::string_view prefix);

  // Watches every key starting with `prefix` from `start_revision` on: `on_events` gets each
  // batch of changes and the revision they bring the store to; `on_done` runs once, last, when
  // the watch ends (etcd went away, compaction passed `start_revision`: never OK). Callbacks
  // run on the pool's thread and must not block. Cancel the returned call to stop watching.
  std::shared_ptr<net::ClientCall> WatchPrefix(
      std::string_view prefix, int64_t start_revision,
      std::function<void(std::vector<EtcdEvent> events, int64_t revision)> on_events,
      std::function<void(Status status)> on_done);

  const net::HttpUrl& endpoint() const { return endpoint_; }

 private:
  StatusOr<std::string> Call(std::string_view path, std::string body);

  net::HttpUrl endpoint_;
  net::HttpClient unary_;   // every call bounded by call_timeout
  net::HttpClient stream_;  // watches: no timeouts
};

// The range_end that makes [prefix, range_end) every key starting with `prefix`.
std::string PrefixRangeEnd(std::string_view prefix);

}  // namespace tokenfab::registry
