#include "tokenfab/gateway/gateway.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "batch_runner.h"
#include "batches_api.h"
#include "dashboard_routes.h"
#include "files_api.h"
#include "fleet_state.h"
#include "gateway_context.h"
#include "model_prices.h"
#include "model_vocabularies.h"
#include "price_cache.h"
#include "request_relay.h"
#include "status_routes.h"
#include "timer_queue.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/base/random.h"
#include "tokenfab/fleet/fleet_config_diff.h"
#include "tokenfab/ledger/api_key.h"
#include "tokenfab/net/http_server.h"
#include "upstream_poller.h"

namespace tokenfab::gateway {

struct Gateway::Impl {
  Impl(GatewayOptions options_in, ledger::Store& store_in, ledger::RateCounters& counters_in,
       base::Clock& clock_in)
      : options(std::move(options_in)),
        store(store_in),
        counters(counters_in),
        clock(clock_in),
        policy_random(options.seed) {}

  StatusOr<std::shared_ptr<routing::Policy>> BuildPolicy() {
    absl::MutexLock lock(&policy_mu);
    TF_ASSIGN_OR_RETURN(std::unique_ptr<routing::Policy> policy,
                        routing::PolicyRegistry::Default().Create(
                            options.policy, options.policy_options, policy_random));
    return std::shared_ptr<routing::Policy>(std::move(policy));
  }
  void SchedulePriceRefresh();
  // The batch runner, when files_dir is set and the store keeps batches (needs the bound port).
  void StartBatches();
  void ScheduleOpsSample();
  // The main listener, and the operations listener when ops_host is set (the operations routes
  // then leave the main one).
  Status StartListeners(net::HttpServerOptions server_options);
  // Builds every service the requests share (threads, clients, ledger objects, live state).
  void StartServices(std::shared_ptr<const fleet::FleetConfig> fleet_config,
                     std::shared_ptr<const ModelVocabularies> vocab,
                     std::shared_ptr<routing::Policy> policy);

  const GatewayOptions options;
  ledger::Store& store;
  ledger::RateCounters& counters;
  base::Clock& clock;
  absl::Mutex policy_mu;
  base::Random policy_random ABSL_GUARDED_BY(policy_mu);
  absl::Mutex reload_mu;  // one reload at a time

  base::MetricsRegistry registry;
  std::unique_ptr<net::IoContextPool> pool;
  std::unique_ptr<net::HttpClient> client;
  std::unique_ptr<net::HttpClient> poll_client;
  std::unique_ptr<TimerQueue> timers;
  std::unique_ptr<base::ThreadPool> control;
  std::unique_ptr<FleetState> fleet;
  std::unique_ptr<UpstreamPoller> poller;
  std::unique_ptr<ledger::Authenticator> auth;
  std::unique_ptr<ledger::AdmissionController> admission;
  std::unique_ptr<ledger::UsageSpool> spool;  // outlives the recorder that writes to it
  std::unique_ptr<ledger::UsageRecorder> recorder;
  std::unique_ptr<PriceCache> prices;
  std::unique_ptr<OpsHistory> ops;
  std::shared_ptr<GatewayContext> context;
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<net::HttpServer> ops_server;  // GatewayOptions::ops_host; null when unset
  std::atomic<bool> stopping{false};
  absl::Mutex stop_mu;
  bool stopped ABSL_GUARDED_BY(stop_mu) = false;
};

void Gateway::Impl::SchedulePriceRefresh() {
  if (stopping.load()) return;
  timers->RunAfter(std::chrono::duration_cast<std::chrono::microseconds>(options.price_refresh),
                   [this] {
                     if (stopping.load()) return;
                     control->Schedule([this] {
                       if (stopping.load()) return;
                       Status s = prices->Refresh();
                       if (!s.ok()) TF_LOG_WARN("price book refresh failed: {}", s.message());
                       SchedulePriceRefresh();
                     });
                   });
}

void Gateway::Impl::StartBatches() {
  if (options.files_dir.empty() || store.batches() == nullptr) return;
  std::string host = options.host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  StatusOr<net::HttpUrl> self =
      net::ParseBaseUrl(fmt::format("http://{}:{}", host, server->port()));
  if (!self.ok()) {
    TF_LOG_WARN("batches disabled: {}", self.status().message());
    return;
  }
  context->batch_runner = std::make_shared<BatchRunner>(context, *std::move(self));
  context->batch_runner->Start();
}

void Gateway::Impl::ScheduleOpsSample() {
  if (stopping.load()) return;
  timers->RunAfter(
      std::chrono::duration_cast<std::chrono::microseconds>(options.ops_sample_interval), [this] {
        if (stopping.load()) return;
        control->Schedule([this] {
          if (stopping.load()) return;
          SampleOpsHistory(*context);
          ScheduleOpsSample();
        });
      });
}

namespace {

std::string RandomPrefix() {
  uint8_t bytes[6];
  if (!ledger::SecureRandomBytes(bytes).ok()) {
    const uint64_t t = static_cast<uint64_t>(base::RealClock::Get().WallMicros());
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(t >> (8 * i));
  }
  std::string out = "gw";
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace

void Gateway::Impl::StartServices(std::shared_ptr<const fleet::FleetConfig> fleet_config,
                                  std::shared_ptr<const ModelVocabularies> vocab,
                                  std::shared_ptr<routing::Policy> policy) {
  const int io_threads =
      options.io_threads > 0 ? options.io_threads : base::ThreadPool::HardwareThreads();
  pool = std::make_unique<net::IoContextPool>(io_threads);
  net::HttpClientOptions relay_options;
  relay_options.connect_timeout = options.connect_timeout;
  relay_options.response_timeout = options.first_byte_timeout;
  relay_options.read_idle_timeout = options.idle_timeout;
  relay_options.max_response_body_bytes = options.max_body_bytes;
  relay_options.tls = options.upstream_tls;
  client = std::make_unique<net::HttpClient>(*pool, relay_options);
  net::HttpClientOptions poll_options;
  poll_options.connect_timeout = options.poll_timeout;
  poll_options.total_timeout = options.poll_timeout;
  poll_options.max_idle_connections_per_upstream = 2;
  poll_options.tls = options.upstream_tls;
  poll_client = std::make_unique<net::HttpClient>(*pool, poll_options);
  timers = std::make_unique<TimerQueue>(clock);
  control = std::make_unique<base::ThreadPool>(std::max(1, options.control_threads) + 1);
  fleet = std::make_unique<FleetState>(clock, options.breaker);
  fleet->Install(fleet_config, std::move(vocab), std::move(policy));
  PollOptions poll;
  poll.interval = options.poll_interval;
  poll.polls_per_s = options.load_polls_per_s;
  poll.timeout = options.poll_timeout;
  poll.health.down_after = options.down_after;
  poll.health.up_after = options.up_after;
  poll.operator_token = options.operator_token;
  poller = std::make_unique<UpstreamPoller>(*fleet, *poll_client, *timers, clock, poll);
  auth = std::make_unique<ledger::Authenticator>(store, clock);
  admission = std::make_unique<ledger::AdmissionController>(clock, counters, &store);
  base::Counter& write_timeouts = registry.GetCounter(
      "tokenfab_gateway_ledger_write_timeouts_total",
      "Usage writes to the ledger's store that passed --ledger-write-timeout-ms");
  ledger::UsageRecorderOptions recorder_options{
      .spool = spool.get(),
      .write_timeout = options.ledger_write_timeout,
      .on_write_timeout = [&write_timeouts] { write_timeouts.Increment(); }};
  if (spool != nullptr) {
    base::Counter& spooled = registry.GetCounter(
        "tokenfab_gateway_usage_spool_spooled_total",
        "Usage events made durable in the local spool instead of the ledger's store");
    recorder_options.on_spooled = [&spooled](int64_t n) {
      spooled.Increment(static_cast<double>(n));
    };
  }
  recorder = std::make_unique<ledger::UsageRecorder>(store, clock, std::move(recorder_options));
  prices = std::make_unique<PriceCache>(store);
  if (Status s = prices->Refresh(); !s.ok()) {
    TF_LOG_WARN("price book not read ({}); requests are priced 0 until it is", s.message());
  }
  const int64_t sample_micros = std::max<int64_t>(
      1000,
      std::chrono::duration_cast<std::chrono::microseconds>(options.ops_sample_interval).count());
  const int64_t history_micros =
      std::chrono::duration_cast<std::chrono::microseconds>(options.ops_history).count();
  ops = std::make_unique<OpsHistory>(static_cast<size_t>(history_micros / sample_micros),
                                     sample_micros);
  std::string name = options.name;
  if (name.empty()) name = fleet_config->gateway().empty() ? "gateway" : fleet_config->gateway();
  context = std::shared_ptr<GatewayContext>(new GatewayContext{
      .options = options,
      .name = name,
      .clock = clock,
      .pool = *pool,
      .client = *client,
      .fleet = *fleet,
      .timers = *timers,
      .control = *control,
      .auth = *auth,
      .admission = *admission,
      .recorder = *recorder,
      .prices = *prices,
      .ops = *ops,
      .retry = RetryPolicy(options.retry),
      .counters = {},
      .metrics = GatewayMetrics(registry),
      .request_id_prefix = RandomPrefix(),
      .next_request = {},
      .seed_counter = {},
      .store = &store,
      .batch_secret = NewObjectId("bs"),
      .batch_runner = nullptr,
      .slo_queue = SloQueue(
          {.max_queued = options.slo_queue_max, .max_per_tenant = options.slo_queue_per_tenant}),
      .slo_pump_scheduled = {},
      .spool = spool.get(),
      .valley = {},
  });
}

namespace {

// The routes of the main listener; the operations routes too unless they have their own.
net::Router MakeRouter(const std::shared_ptr<GatewayContext>& context, bool with_operations) {
  net::Router router;
  for (api::Endpoint endpoint : {api::Endpoint::kChatCompletions, api::Endpoint::kCompletions}) {
    router.Handle("POST", api::EndpointPath(endpoint),
                  [context, endpoint](std::shared_ptr<net::HttpExchange> exchange) {
                    RequestRelay::Serve(context, std::move(exchange), endpoint);
                  });
  }
  AddStatusRoutes(context, router);
  AddFilesRoutes(context, router);
  AddBatchRoutes(context, router);
  if (with_operations) {
    AddOperationsRoutes(context, router);
    AddDashboardRoutes(context, router);
  }
  return router;
}

// The routes of the separate operations listener (GatewayOptions::ops_host).
net::Router MakeOperationsRouter(const std::shared_ptr<GatewayContext>& context) {
  net::Router router;
  AddOperationsRoutes(context, router);
  AddDashboardRoutes(context, router);
  return router;
}

}  // namespace

Status Gateway::Impl::StartListeners(net::HttpServerOptions server_options) {
  const bool separate_operations = !options.ops_host.empty();
  if (separate_operations) {
    net::HttpServerOptions ops_options = server_options;
    ops_options.host = options.ops_host;
    ops_options.port = options.ops_port;
    ops_options.max_body_bytes = 64 << 10;  // GET requests only
    TF_ASSIGN_OR_RETURN(ops_server, net::HttpServer::Start(std::move(ops_options),
                                                           MakeOperationsRouter(context), clock));
  }
  StatusOr<std::unique_ptr<net::HttpServer>> main = net::HttpServer::Start(
      std::move(server_options), MakeRouter(context, !separate_operations), clock);
  if (!main.ok()) {
    if (ops_server) ops_server->Stop(std::chrono::milliseconds(0));
    return main.status();
  }
  server = *std::move(main);
  return absl::OkStatus();
}

namespace {

struct SpoolBound {
  int64_t max_events = 0;
  int64_t max_bytes = 0;
};

// The usage spool's bound: each from the option (a flag), else the fleet file's [ledger] key,
// else the default.
SpoolBound SpoolBoundOf(const GatewayOptions& options, const fleet::FleetConfig& fleet) {
  const fleet::LedgerSettings& file = fleet.ledger();
  return {.max_events = options.usage_spool_max_events.value_or(
              file.usage_spool_max_events.value_or(GatewayOptions::kDefaultSpoolMaxEvents)),
          .max_bytes = options.usage_spool_max_bytes.value_or(
              file.usage_spool_max_bytes.value_or(GatewayOptions::kDefaultSpoolMaxBytes))};
}

}  // namespace

StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options,
                                                  std::shared_ptr<const fleet::FleetConfig> fleet,
                                                  ledger::Store& store,
                                                  ledger::RateCounters& counters,
                                                  base::Clock& clock) {
  if (fleet == nullptr) return absl::InvalidArgumentError("no fleet configuration");
  if (!options.prefix_key) {
    TF_ASSIGN_OR_RETURN(options.prefix_key, api::PrefixKey::Random());
  }
  {
    // No model served unbilled by mistake: each is priced, or marked free in the fleet file.
    TF_ASSIGN_OR_RETURN(std::vector<ledger::PriceEntry> prices, store.ListPrices());
    TF_RETURN_IF_ERROR(
        CheckModelPrices(*fleet, ledger::PriceBook(std::move(prices)), clock.WallMicros()));
  }
  auto impl = std::make_unique<Impl>(std::move(options), store, counters, clock);
  Impl& g = *impl;
  TF_ASSIGN_OR_RETURN(std::shared_ptr<const ModelVocabularies> vocab,
                      ModelVocabularies::Load(*fleet));
  TF_ASSIGN_OR_RETURN(std::shared_ptr<routing::Policy> policy, g.BuildPolicy());
  if (!g.options.usage_spool_dir.empty()) {
    base::Counter& replayed = g.registry.GetCounter(
        "tokenfab_gateway_usage_spool_replayed_total",
        "Spooled usage events (and cut streams) delivered from the local spool to the ledger's "
        "store");
    const SpoolBound bound = SpoolBoundOf(g.options, *fleet);
    TF_ASSIGN_OR_RETURN(g.spool,
                        ledger::UsageSpool::Open({.dir = g.options.usage_spool_dir,
                                                  .max_bytes = bound.max_bytes,
                                                  .max_events = bound.max_events,
                                                  .on_delivered = [&replayed](int64_t n) {
                                                    replayed.Increment(static_cast<double>(n));
                                                  }}));
  }
  g.StartServices(fleet, std::move(vocab), std::move(policy));
  if (Status tls = g.client->tls_status(); !tls.ok()) {
    const net::TlsClientOptions& upstream_tls = g.options.upstream_tls;
    if (!upstream_tls.ca_file.empty() || !upstream_tls.cert_file.empty() ||
        !upstream_tls.key_file.empty()) {
      g.poller->Stop();
      return tls;
    }
    TF_LOG_WARN("https upstreams cannot be called: {}", tls.message());
  }

  net::HttpServerOptions server_options;
  server_options.host = g.options.host;
  server_options.port = g.options.port;
  server_options.pool = g.pool.get();
  // With the Files API on, a body may be an upload of up to max_file_bytes (and its multipart
  // framing); the Files API answers an oversized file with its own 413.
  server_options.max_body_bytes =
      g.options.files_dir.empty()
          ? g.options.max_body_bytes
          : std::max(g.options.max_body_bytes, g.options.max_file_bytes + (64 << 10));
  server_options.server_name = "tokenfab-gateway";
  server_options.tls = g.options.tls;
  server_options.idle_timeout = std::chrono::milliseconds(120'000);
  server_options.write_timeout = std::chrono::milliseconds(120'000);
  // Errors the transport answers itself (413, 431, 404, 405, 408, 503), as the node answers them.
  server_options.error_responder = [](int status, std::string_view message) {
    return api::ApiErrorResponse(api::ApiErrorForHttpStatus(status, message));
  };
  if (Status started = g.StartListeners(std::move(server_options)); !started.ok()) {
    g.poller->Stop();
    return started;
  }
  g.StartBatches();
  g.poller->Sync();
  g.SchedulePriceRefresh();
  g.ScheduleOpsSample();
  TF_LOG_INFO("gateway {} listening on {} ({} upstreams, policy {})", g.context->name,
              g.server->address(), fleet->upstreams().size(),
              g.fleet->generation()->policy->spec());
  if (g.ops_server) TF_LOG_INFO("operations routes on {}", g.ops_server->address());
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() { Stop(); }

uint16_t Gateway::port() const { return impl_->server->port(); }
std::string Gateway::address() const { return impl_->server->address(); }
uint16_t Gateway::ops_port() const {
  return impl_->ops_server ? impl_->ops_server->port() : uint16_t{0};
}
std::string Gateway::ops_address() const {
  return impl_->ops_server ? impl_->ops_server->address() : std::string();
}

Status Gateway::ReloadTls() { return impl_->server->ReloadTls(); }

StatusOr<std::vector<std::pair<std::string, std::string>>> Gateway::UnpricedUpstreams(
    const fleet::FleetConfig& fleet) {
  Impl& g = *impl_;
  TF_RETURN_IF_ERROR(g.prices->Refresh());
  std::vector<std::pair<std::string, std::string>> out;
  for (const UnpricedModel& u : FindUnpricedModels(fleet, *g.prices->Get(), g.clock.WallMicros())) {
    out.emplace_back(u.upstream,
                     fmt::format("model \"{}\" has no price in region {}", u.model, u.region));
  }
  return out;
}

Status Gateway::Reload(std::shared_ptr<const fleet::FleetConfig> fleet) {
  if (fleet == nullptr) return absl::InvalidArgumentError("no fleet configuration");
  Impl& g = *impl_;
  absl::MutexLock lock(&g.reload_mu);
  std::shared_ptr<const FleetGeneration> current = g.fleet->generation();
  TF_RETURN_IF_ERROR(g.prices->Refresh());
  TF_RETURN_IF_ERROR(CheckModelPrices(*fleet, *g.prices->Get(), g.clock.WallMicros()));
  TF_ASSIGN_OR_RETURN(std::shared_ptr<const ModelVocabularies> vocab,
                      ModelVocabularies::Load(*fleet, current->vocabularies.get()));
  // The policy in force stays: its learned state (the prefix index, the rotation) is keyed by
  // each upstream's stable key, not by its index, so a join or a leave must not forget it.
  std::shared_ptr<routing::Policy> policy = current->policy;
  const fleet::FleetConfigDiff diff = fleet::DiffFleetConfigs(*current->config, *fleet);
  if (g.spool != nullptr) {
    const SpoolBound bound = SpoolBoundOf(g.options, *fleet);
    g.spool->SetBound(bound.max_events, bound.max_bytes);
    if (fleet->ledger() != current->config->ledger()) {
      TF_LOG_INFO("usage spool bound: {} events, {} bytes (0: none)", bound.max_events,
                  bound.max_bytes);
    }
  }
  g.fleet->Install(std::move(fleet), std::move(vocab), std::move(policy));
  g.poller->Sync();
  g.context->counters.reloads.fetch_add(1, std::memory_order_relaxed);
  TF_LOG_INFO("fleet reloaded (generation {}): {}", g.fleet->generation()->number, diff.ToString());
  return absl::OkStatus();
}

std::shared_ptr<const fleet::FleetSnapshot> Gateway::Snapshot() const {
  return impl_->fleet->Snapshot(*impl_->fleet->generation());
}

base::MetricsRegistry& Gateway::metrics_registry() { return impl_->registry; }

GatewayStats Gateway::stats() const {
  const GatewayCounters& c = impl_->context->counters;
  GatewayStats s;
  s.requests = c.requests.load();
  GatewayMetrics& metrics = impl_->context->metrics;
  s.completed = static_cast<int64_t>(metrics.Outcome("ok").Value());
  s.rejected = static_cast<int64_t>(metrics.Outcome("rejected").Value());
  s.failed = static_cast<int64_t>(metrics.Outcome("error").Value());
  s.cancelled = static_cast<int64_t>(metrics.Outcome("cancelled").Value());
  s.retries = c.retries.load();
  s.recorded = c.recorded.load();
  s.record_failures = c.record_failures.load();
  s.reloads = c.reloads.load();
  return s;
}

void Gateway::Stop(std::chrono::milliseconds grace) {
  Impl& g = *impl_;
  absl::MutexLock lock(&g.stop_mu);
  if (g.stopped) return;
  g.stopped = true;
  g.stopping.store(true);
  // No new batch lines; no new requests; those in flight finish (or are cancelled after the
  // grace period) and record their usage.
  if (g.context->batch_runner) g.context->batch_runner->StopLaunching();
  g.server->Stop(grace);
  if (g.ops_server) g.ops_server->Stop(std::chrono::milliseconds(0));
  for (int waited_ms = 0; g.context->counters.open.load() > 0 && waited_ms < 30'000; ++waited_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (const int64_t open = g.context->counters.open.load(); open > 0) {
    TF_LOG_WARN("gateway stopping with {} requests still open", open);
  }
  if (g.context->batch_runner) {
    // Its lines in flight have answered (or been cancelled): store their outcomes, then stop.
    g.context->batch_runner->Stop(std::chrono::milliseconds(5'000));
    g.context->batch_runner.reset();  // it holds the context: break the cycle
  }
  g.poller->Stop();
  g.timers.reset();  // joins the timer thread: no callback runs after this
  g.recorder->Shutdown();
  g.control.reset();  // runs what is queued, joins the workers
  g.client.reset();
  g.poll_client.reset();
  g.pool->Stop();
}

}  // namespace tokenfab::gateway
