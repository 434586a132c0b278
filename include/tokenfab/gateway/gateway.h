// Gateway: the scheduling platform's front door. One OpenAI-compatible endpoint for every tenant,
// and behind it a fleet of upstreams in several regions (tokenfab nodes, other tokenfab gateways,
// vLLM / SGLang / llama.cpp servers, any OpenAI-compatible server). Each request goes
//
//   auth (API key -> tenant, tier)            ledger::Authenticator
//   -> routing (ranked upstreams)             routing::Policy over the live FleetSnapshot
//   -> admission (residency of the ranked     ledger::AdmissionController: 429 in OpenAI's error
//      upstreams, budget, concurrency,        shape with Retry-After, 403 for residency
//      RPM, TPM)
//   -> relay (streamed chunk by chunk)        net::HttpClient; retries the next candidate on a
//                                             connect failure or 5xx before the client saw a byte;
//                                             a circuit breaker per upstream; a client that
//                                             leaves cancels the upstream request
//   -> metering                               ledger::UsageRecorder: the answer's last chunk
//                                             ("data: [DONE]", or a whole JSON answer) goes out
//                                             only once the request's usage event is durable
//
// Every answer names the upstream and region that served it (x-tokenfab-upstream,
// x-tokenfab-region; "gateway" and "-" when the gateway answered itself) and carries the request
// id (x-request-id). Usage comes from the upstream (the gateway asks for it with
// stream_options.include_usage) or is counted with the model's vocabulary; energy and carbon from
// the serving site's hardware and PUE (request_energy.h); the price from the ledger's price book.
//
// Live state: every upstream is polled (tokenfab /load; vLLM, SGLang, llama.cpp /metrics), marked
// down after failed polls and up after recovery, its RTT measured; requests sent since the last
// poll are counted so that a burst does not pile onto one upstream. Reload() swaps the fleet
// configuration without dropping streams in flight.
//
// Other routes: GET /v1/models (models of the fleet), /health, /metrics (Prometheus), /load (the
// fleet's aggregate load in the node's /load format, so that another gateway can route to this
// one: gateway hierarchy), /fleet (the live state of every upstream, JSON), /dashboard (the live
// operations page; dashboard_routes.h) and /dashboard/data (its JSON). /load, /fleet, /metrics
// and the dashboard are operations routes: behind the operator token when one is set, and on a
// separate listener when ops_host is.
//
// Threads: `io_threads` event loops carry every connection (the server's and the upstream
// calls', a stream never changes thread); `control_threads` workers run what may block (key
// lookups, admission's store and Redis calls); the ledger writer commits usage; a timer thread
// spaces polls and retry backoffs. Thread-safe: Reload, stats and Stop from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenfab/api/prefix_key.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/gateway/circuit_breaker.h"
#include "tokenfab/gateway/peer_trust.h"
#include "tokenfab/gateway/retry_policy.h"
#include "tokenfab/ledger/rate_counters.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/net/tls_options.h"
#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::gateway {

struct GatewayOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: an ephemeral port (see Gateway::port)
  int io_threads = 0;    // 0: one per hardware thread
  int control_threads = 2;
  std::string
      name{};  // names this gateway in logs; empty: the fleet file's `gateway`, or "gateway"

  std::string policy{routing::kDefaultPolicySpec};
  routing::PolicyOptions policy_options{};
  uint64_t seed = 1;  // for the policies that draw (power-of-two) and retry jitter

  // Polling.
  std::chrono::milliseconds poll_interval{200};
  // The poll budget, all upstreams together: with more upstreams than poll_interval allows at
  // this rate, each is polled every upstreams / load_polls_per_s s instead (0: no budget).
  double load_polls_per_s = 500;
  std::chrono::milliseconds poll_timeout{1000};
  int down_after = 2;  // failed polls in a row
  int up_after = 2;    // successful polls in a row

  RetryOptions retry{};
  CircuitBreakerOptions breaker{};

  // Upstream calls.
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds first_byte_timeout{600'000};  // request sent to answer head
  std::chrono::milliseconds idle_timeout{300'000};        // silence within an answer
  size_t stream_high_water_bytes = 256 << 10;             // client buffer that pauses the upstream
  size_t max_body_bytes = 32 << 20;                       // request bodies

  // Output tokens routing assumes when a request gives no max_tokens.
  int32_t default_output_tokens = 256;
  // Peer gateways (edges in front of this hub) whose request ids and admission this gateway
  // takes (peer_trust.h); an edge sends `peers.secret` to its tokenfab-gateway upstreams.
  PeerTrust peers{};
  // How often the price book is re-read from the ledger.
  std::chrono::milliseconds price_refresh{10'000};

  // Flex (service_tier "flex"): how long a request waits for room (valley_gate) before a 429.
  std::chrono::milliseconds flex_max_wait{10'000};
  // Files and Batches APIs: where uploaded and output files live (empty: those APIs answer 503),
  // the largest upload, the most lines a batch may have, and batch lines in flight at most (0:
  // the fleet's slots, the sum of its upstreams' max_running).
  std::string files_dir{};
  size_t max_file_bytes = 32 << 20;
  int64_t max_batch_lines = 50'000;
  int64_t max_batch_in_flight = 64;
  // The operations page's history (GET /dashboard): a sample this often, this far back.
  std::chrono::milliseconds ops_sample_interval{5'000};
  std::chrono::minutes ops_history{180};
  // SLO admission: a request that no ranked upstream is predicted (routing/latency_predictor.h)
  // to serve within its tier's TTFT SLO waits in a bounded queue, by tier priority then
  // deadline, instead of being sent to miss; refused with 429 (the tenant's share of the queue
  // is full) or 503 (the fleet is saturated, or its deadline cannot be met) and a Retry-After
  // from the predicted drain. Tiers without a TTFT SLO, and those named best-effort, never wait.
  bool slo_admission = true;
  size_t slo_queue_max = 1024;                   // requests waiting in all
  size_t slo_queue_per_tenant = 64;              // requests of one tenant waiting
  std::chrono::milliseconds slo_queue_tick{5};   // how often waiters re-predict
  std::vector<std::string> best_effort_tiers{};  // tier names

  // Operations routes (/load, /fleet, /metrics, /dashboard, /dashboard/data) answer 401 without
  // `Authorization: Bearer <operator_token>` (api/operator_auth.h); empty: they answer anyone.
  // The poller sends it on its /load polls of tokenfab upstreams.
  std::string operator_token{};
  // Keys the prompt block hashes routing compares with the hashes upstreams publish on /load
  // (api/prefix_key.h): the same secret as the nodes'. Unset: a random key drawn at Start(), so
  // that routing by cached blocks then matches no node's.
  std::optional<api::PrefixKey> prefix_key{};
  // When ops_host is set, the operations routes are served on this separate
  // address instead of the main one, where they answer 404; the operator token still applies.
  // (An edge gateway polls a hub's /load at the hub's upstream URL: keep a hub's operations on
  // its main address.) ops_port 0: an ephemeral port (see ops_port()).
  std::string ops_host{};
  uint16_t ops_port = 0;
  // TLS: serve HTTPS when tls.enabled() (mutual TLS with tls.client_ca_file: the hook for
  // gateways authenticating each other); https:// upstreams are called with upstream_tls
  // (trusted CAs, an optional client certificate).
  net::TlsServerOptions tls{};
  net::TlsClientOptions upstream_tls{};
  // Usage spool (ledger/usage_spool.h), on when usage_spool_dir is set: while the ledger's store
  // is away, usage events are made durable in this local directory and replayed when it
  // returns (what an earlier process left is replayed at start). A spool holding
  // usage_spool_max_events events or usage_spool_max_bytes bytes makes new requests answer 503
  // (Retry-After) while the store is away; each unset: the fleet file's `[ledger]` key (applied
  // again by Reload), else kDefaultSpoolMaxEvents / kDefaultSpoolMaxBytes. Streams record their
  // delivered count there every stream_progress_events content events or
  // stream_progress_interval, whichever comes first, so that a stream cut by a crash is billed
  // after the restart for what it had delivered.
  std::string usage_spool_dir{};
  std::optional<int64_t> usage_spool_max_bytes{};
  std::optional<int64_t> usage_spool_max_events{};
  static constexpr int64_t kDefaultSpoolMaxBytes = int64_t{1} << 30;
  static constexpr int64_t kDefaultSpoolMaxEvents = 4'000'000;
  int stream_progress_events = 16;
  std::chrono::milliseconds stream_progress_interval{1'000};
  // A ledger write unanswered this long counts as failed (a hung store): with a spool its batch
  // is spooled and the outage begins; without one its requests fail. 0: no deadline.
  std::chrono::milliseconds ledger_write_timeout{5'000};
};

// Counters since start. completed, rejected, failed and cancelled are the outcomes the
// tokenfab_gateway_requests_total metric counts (ok, rejected, error, cancelled). Plain data.
struct GatewayStats {
  int64_t requests = 0;         // inference requests received
  int64_t completed = 0;        // answered in full
  int64_t rejected = 0;         // refused with a 4xx: key, body, admission, the upstream's own
  int64_t failed = 0;           // ended in a 5xx: no upstream served it, or no ledger/admission
  int64_t cancelled = 0;        // the client left
  int64_t retries = 0;          // attempts after the first
  int64_t recorded = 0;         // usage events made durable
  int64_t record_failures = 0;  // usage events the ledger refused
  int64_t reloads = 0;
};

class Gateway {
 public:
  // Builds the routing policy, loads the models' vocabularies, opens the listening socket and
  // starts polling. Borrows `store`, `counters` and `clock`: they must outlive the gateway.
  [[nodiscard]] static StatusOr<std::unique_ptr<Gateway>> Start(
      GatewayOptions options, std::shared_ptr<const fleet::FleetConfig> fleet, ledger::Store& store,
      ledger::RateCounters& counters, base::Clock& clock);
  ~Gateway();  // Stop(0)
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  uint16_t port() const;
  std::string address() const;  // "host:port"
  // The operations listener (GatewayOptions::ops_host); 0 and "" when there is none.
  uint16_t ops_port() const;
  std::string ops_address() const;

  // Replaces the fleet configuration. Requests in flight finish on the upstreams they started
  // on; upstreams kept (same name and URL) keep their live state. A config whose vocabularies or
  // policy cannot be built is refused (the old one stays).
  [[nodiscard]] Status Reload(std::shared_ptr<const fleet::FleetConfig> fleet);
  // The upstreams of `fleet` that Reload would refuse for serving a model with no price in the
  // ledger (and not free): {upstream name, why}, in upstream order. Reads the price book afresh.
  [[nodiscard]] StatusOr<std::vector<std::pair<std::string, std::string>>> UnpricedUpstreams(
      const fleet::FleetConfig& fleet);
  // Loads the TLS certificate and key again for new connections (SIGHUP); on error the old ones
  // stay. FailedPrecondition when the gateway does not serve TLS.
  [[nodiscard]] Status ReloadTls();

  // The fleet as routing sees it now.
  std::shared_ptr<const fleet::FleetSnapshot> Snapshot() const;
  GatewayStats stats() const;
  // The registry behind /metrics: what runs beside the gateway (e.g. the membership registry's
  // watcher) adds its own gauges here. Thread-safe.
  base::MetricsRegistry& metrics_registry();

  // Stops accepting, lets requests in flight finish for up to `grace`, then cancels the rest,
  // commits every queued usage event and stops. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::gateway
