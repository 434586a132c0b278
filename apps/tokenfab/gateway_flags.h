// The flags `tokenfab gateway` and `tokenfab serve` share (listen address, routing policy,
// admission counters, polling and retries), and the signal handling of both: SIGHUP reloads,
// SIGINT / SIGTERM stop.
#pragma once

#include <pthread.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "secret_flags.h"
#include "tokenfab/api/operator_auth.h"
#include "tokenfab/api/prefix_key.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/base/secret_file.h"
#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/ledger/failover_counters.h"
#include "tokenfab/ledger/rate_counters.h"
#include "tokenfab/ledger/redis_counters.h"
#include "tokenfab/net/tls_options.h"

namespace tokenfab::cli {

struct GatewayFlags {
  std::string listen = "127.0.0.1:8080";
  std::string redis;
  std::string redis_password_file;
  std::string redis_down = "fail-closed";
  int64_t gateway_count = 1;
  std::string policy{routing::kDefaultPolicySpec};
  std::string name;
  int io_threads = 0;
  int control_threads = 2;
  int poll_interval_ms = 200;
  double load_polls_per_s = 500;
  int ops_sample_ms = 5000;  // the operations page's sampling period
  int max_attempts = 3;
  std::vector<std::string> peer_gateways;  // client certificate names of edge gateways
  std::string peer_secret_file;
  bool no_slo_admission = false;
  std::vector<std::string> best_effort_tiers;
  uint64_t seed = 1;
  int flex_max_wait_ms = 10'000;
  std::string files_dir;
  size_t max_file_bytes = 32 << 20;
  std::string usage_spool;  // directory; empty: no spool (serve: the data folder's spool/)
  std::optional<int64_t> usage_spool_max_bytes;  // unset: the fleet file's, else the default
  std::optional<int64_t> usage_spool_max_events;
  int stream_progress_events = 16;
  int stream_progress_ms = 1'000;
  int ledger_write_timeout_ms = 5'000;
  std::chrono::milliseconds drain{10'000};
  net::TlsServerOptions tls;           // --tls-cert, --tls-key, --tls-client-ca
  net::TlsClientOptions upstream_tls;  // --tls-ca, --tls-upstream-cert, --tls-upstream-key

  std::string operator_token_file;
  std::string prefix_secret_file;
  std::string ops_listen;  // HOST:PORT; empty: the operations routes on --listen

  // "HOST:PORT" ("[::1]:8080" for IPv6) into `host` and `port`.
  static Status ParseHostPort(std::string_view flag, const std::string& value, std::string& host,
                              uint16_t& port) {
    const size_t colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(
          fmt::format("{} \"{}\" is not HOST:PORT (e.g. 127.0.0.1:8080)", flag, value));
    }
    host = value.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    try {
      const int parsed = std::stoi(value.substr(colon + 1));
      if (parsed < 0 || parsed > 65535) throw std::out_of_range("port");
      port = static_cast<uint16_t>(parsed);
    } catch (const std::exception&) {
      return absl::InvalidArgumentError(fmt::format("{} \"{}\": bad port", flag, value));
    }
    return absl::OkStatus();
  }

  StatusOr<gateway::GatewayOptions> ToOptions() const {
    gateway::GatewayOptions options;
    TF_RETURN_IF_ERROR(ParseHostPort("--listen", listen, options.host, options.port));
    if (!ops_listen.empty()) {
      TF_RETURN_IF_ERROR(
          ParseHostPort("--ops-listen", ops_listen, options.ops_host, options.ops_port));
    }
    options.policy = policy;
    options.name = name;
    options.io_threads = io_threads;
    options.control_threads = control_threads;
    options.poll_interval = std::chrono::milliseconds(poll_interval_ms);
    options.load_polls_per_s = load_polls_per_s;
    options.ops_sample_interval = std::chrono::milliseconds(ops_sample_ms);
    options.retry.max_attempts = max_attempts;
    if (!peer_gateways.empty() && tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--peer-gateway names a client certificate: it needs --tls-client-ca to verify one");
    }
    options.peers.tls_names = peer_gateways;
    if (!peer_secret_file.empty()) {
      TF_ASSIGN_OR_RETURN(options.peers.secret, base::ReadSecretFile(peer_secret_file));
    }
    options.slo_admission = !no_slo_admission;
    options.best_effort_tiers = best_effort_tiers;
    options.seed = seed;
    options.flex_max_wait = std::chrono::milliseconds(flex_max_wait_ms);
    options.files_dir = files_dir;
    options.max_file_bytes = max_file_bytes;
    options.usage_spool_dir = usage_spool;
    options.usage_spool_max_bytes = usage_spool_max_bytes;
    options.usage_spool_max_events = usage_spool_max_events;
    options.stream_progress_events = stream_progress_events;
    options.stream_progress_interval = std::chrono::milliseconds(stream_progress_ms);
    options.ledger_write_timeout = std::chrono::milliseconds(ledger_write_timeout_ms);
    TF_ASSIGN_OR_RETURN(options.operator_token, api::LoadOperatorToken(operator_token_file));
    if (options.operator_token.empty()) {
      WarnOpenOperations("gateway", ops_listen.empty() ? options.host : options.ops_host);
    }
    TF_ASSIGN_OR_RETURN(options.prefix_key, api::PrefixKey::Load(prefix_secret_file));
    if (tls.cert_file.empty() != tls.key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    if (!tls.client_ca_file.empty() && !tls.enabled()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    options.tls = tls;
    options.upstream_tls = upstream_tls;
    return options;
  }

  // Redis counters when --redis is given (several gateways share rate limits), else in-process.
  // With Redis, what happens while it is unreachable follows --redis-down: fail-closed refuses
  // to start without it, local starts anyway (on local limits until it answers).
  StatusOr<std::unique_ptr<ledger::RateCounters>> OpenCounters() const {
    if (redis.empty()) return std::unique_ptr<ledger::RateCounters>(new ledger::LocalCounters());
    TF_ASSIGN_OR_RETURN(ledger::RedisOptions options, ledger::ParseRedisUrl(redis));
    if (!redis_password_file.empty()) {
      TF_ASSIGN_OR_RETURN(options.password, base::ReadSecretFile(redis_password_file));
    } else if (options.password.empty() && std::getenv(ledger::kRedisPasswordEnv) != nullptr) {
      TF_ASSIGN_OR_RETURN(options.password, base::ReadSecretEnv(ledger::kRedisPasswordEnv));
    }
    TF_ASSIGN_OR_RETURN(ledger::RedisDownPolicy policy, ledger::ParseRedisDownPolicy(redis_down));
    std::unique_ptr<ledger::RedisCounters> shared;
    if (policy == ledger::RedisDownPolicy::kFailClosed) {
      TF_ASSIGN_OR_RETURN(shared, ledger::RedisCounters::Connect(options));
    } else {
      shared = ledger::RedisCounters::Open(options);
    }
    return std::unique_ptr<ledger::RateCounters>(new ledger::FailoverCounters(
        std::move(shared), {.policy = policy, .gateway_count = gateway_count}));
  }
};

// --tls-cert, --tls-key, --tls-client-ca: HTTPS on the listening port (gateway, serve, node).
inline void AddTlsServerFlags(CLI::App* app, net::TlsServerOptions& tls) {
  app->add_option("--tls-cert", tls.cert_file,
                  "PEM certificate chain: serve HTTPS (with --tls-key; SIGHUP reloads both)");
  app->add_option("--tls-key", tls.key_file, "PEM private key of --tls-cert");
  app->add_option("--tls-client-ca", tls.client_ca_file,
                  "PEM CA file: require client certificates issued by it (mutual TLS)");
}

// The scheme clients use to reach a server with `tls`.
inline const char* ListenScheme(const net::TlsServerOptions& tls) {
  return tls.enabled() ? "https" : "http";
}

// SIGHUP: loads the TLS certificate and key again (new connections use them); a broken file is
// logged and the old ones stay.
inline void ReloadTlsFiles(gateway::Gateway& gw, const net::TlsServerOptions& tls) {
  if (!tls.enabled()) return;
  if (Status s = gw.ReloadTls(); !s.ok()) {
    TF_LOG_ERROR("TLS reload refused, keeping the running certificate: {}", s.message());
  } else {
    TF_LOG_INFO("TLS certificate reloaded");
  }
}

inline void AddGatewayFlags(CLI::App* app, GatewayFlags& flags) {
  app->add_option("--listen", flags.listen, "address to serve on, HOST:PORT (port 0: any free)")
      ->capture_default_str();
  app->add_option("--redis", flags.redis,
                  "redis://[user@]host[:port][/prefix] for rate-limit counters shared by several "
                  "gateways");
  app->add_option("--redis-password-file", flags.redis_password_file,
                  "file holding the Redis password (AUTH; default: the environment variable "
                  "TOKENFAB_REDIS_PASSWORD)");
  app->add_option("--redis-down", flags.redis_down,
                  "while Redis is unreachable: fail-closed (answer 503) or local (admit on "
                  "in-process limits at 1/--gateway-count of each quota, with an alert)")
      ->check(CLI::IsMember({"fail-closed", "local"}))
      ->capture_default_str();
  app->add_option("--gateway-count", flags.gateway_count,
                  "gateways sharing --redis: each one's share of a quota under --redis-down local")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}))
      ->capture_default_str();
  app->add_option("--policy", flags.policy,
                  "routing policy spec: names joined by '+', each with an optional ':weight' "
                  "(round-robin, least-load, power-of-two, prefix-affinity, kv-aware, cost-slo, "
                  "green-first, goodput-cost)")
      ->capture_default_str();
  app->add_option("--name", flags.name, "this gateway's name (default: the fleet file's)");
  app->add_option("--io-threads", flags.io_threads, "event loops (0: one per core)")
      ->capture_default_str();
  app->add_option("--control-threads", flags.control_threads,
                  "workers for key lookups and admission")
      ->capture_default_str();
  app->add_option("--ops-sample-ms", flags.ops_sample_ms,
                  "sampling period of the operations page's history (GET /dashboard)")
      ->check(CLI::Range(100, 600'000))
      ->capture_default_str();
  app->add_option("--poll-interval-ms", flags.poll_interval_ms, "upstream polling period")
      ->capture_default_str();
  app->add_option("--load-polls-per-s", flags.load_polls_per_s,
                  "poll budget, all upstreams together: a larger fleet stretches each upstream's "
                  "polling period to upstreams / budget s (0: no budget)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  app->add_option("--max-attempts", flags.max_attempts,
                  "upstreams tried per request at most (retries before the first byte)")
      ->capture_default_str();
  app->add_option("--peer-gateway", flags.peer_gateways,
                  "client certificate name (mTLS) of an edge gateway in front of this one: its "
                  "request ids are kept and its requests not admitted twice (repeatable)");
  app->add_option("--peer-secret-file", flags.peer_secret_file,
                  "file holding the secret the deployment's gateways share: sent to "
                  "tokenfab-gateway upstreams, and a request carrying it is a peer's (as "
                  "--peer-gateway; use over TLS or a private network)");
  app->add_flag("--no-slo-admission", flags.no_slo_admission,
                "send every admitted request at once, even when no upstream is predicted to meet "
                "its tier's TTFT objective (by default it waits, or is refused 429/503)");
  app->add_option("--best-effort-tier", flags.best_effort_tiers,
                  "a tier whose requests never wait for their TTFT objective (repeatable)");
  app->add_option("--seed", flags.seed, "seed of the policies that draw and of retry jitter")
      ->capture_default_str();
  app->add_option("--flex-max-wait-ms", flags.flex_max_wait_ms,
                  "how long a service_tier \"flex\" request waits for spare capacity before a 429")
      ->capture_default_str();
  app->add_option("--files-dir", flags.files_dir,
                  "directory of the Files and Batches APIs' files (unset: those APIs answer 503)");
  app->add_option("--max-file-bytes", flags.max_file_bytes, "largest file upload, in bytes")
      ->capture_default_str();
  app->add_option("--usage-spool", flags.usage_spool,
                  "directory of the local usage spool: usage events wait there, durable, while "
                  "the ledger is away, and cut streams' progress is kept there (serve: the data "
                  "folder's spool/)");
  app->add_option("--usage-spool-max-bytes", flags.usage_spool_max_bytes,
                  "spooled bytes at most; past it requests are refused 503 while the ledger is "
                  "away (0: no bound; default: the fleet file's [ledger] usage_spool_max_bytes, "
                  "else 1 GiB)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--usage-spool-max-events", flags.usage_spool_max_events,
                  "spooled events at most; past it requests are refused 503 while the ledger is "
                  "away (0: no bound; default: the fleet file's [ledger] "
                  "usage_spool_max_events, else 4000000)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--stream-progress-events", flags.stream_progress_events,
                  "a stream's delivered count is spooled every this many content events (a "
                  "crash under-bills a cut stream by at most about this many)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app->add_option("--stream-progress-ms", flags.stream_progress_ms,
                  "... or every this many milliseconds, whichever comes first")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  app->add_option("--ledger-write-timeout-ms", flags.ledger_write_timeout_ms,
                  "a ledger write unanswered this long counts as failed (a hung store): its "
                  "usage events go to the spool and the outage begins (0: no deadline)")
      ->check(CLI::Range(0, 3'600'000))
      ->capture_default_str();
  AddSecretFlags(app, flags.operator_token_file, flags.prefix_secret_file);
  app->add_option("--ops-listen", flags.ops_listen,
                  "serve /load, /fleet, /metrics and the dashboard on this HOST:PORT instead of "
                  "--listen (the operator token still applies)");
  AddTlsServerFlags(app, flags.tls);
  app->add_option("--tls-ca", flags.upstream_tls.ca_file,
                  "PEM file of the CAs that https:// upstreams' certificates must come from "
                  "(default: the system trust store)");
  app->add_option("--tls-upstream-cert", flags.upstream_tls.cert_file,
                  "PEM client certificate shown to https:// upstreams that ask for one (mTLS)");
  app->add_option("--tls-upstream-key", flags.upstream_tls.key_file,
                  "PEM key of --tls-upstream-cert");
}

// Blocks SIGHUP, SIGINT and SIGTERM in this thread (and the threads it starts later), so that
// WaitForStop receives them.
inline sigset_t BlockServiceSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Waits for the signals of BlockServiceSignals: runs `reload` on each SIGHUP; returns on SIGINT
// or SIGTERM.
inline void WaitForStop(const sigset_t& set, const std::function<void()>& reload) {
  while (true) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (signal == SIGHUP) {
      reload();
      continue;
    }
    return;
  }
}

// SIGHUP: loads `fleet_file` again and swaps it into the running gateway; a broken file is
// logged and the running fleet stays.
inline void ReloadFleetFile(gateway::Gateway& gw, const std::string& fleet_file) {
  StatusOr<fleet::FleetConfig> reloaded = fleet::LoadFleetConfig(fleet_file);
  if (!reloaded.ok()) {
    TF_LOG_ERROR("reload refused, keeping the running fleet: {}", reloaded.status().message());
    return;
  }
  Status s = gw.Reload(std::make_shared<const fleet::FleetConfig>(*std::move(reloaded)));
  if (!s.ok()) TF_LOG_ERROR("reload refused, keeping the running fleet: {}", s.message());
}

}  // namespace tokenfab::cli
