#include "status_routes.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "request_energy.h"
#include "spare_capacity.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/bearer_token.h"
#include "tokenfab/api/load_report.h"
#include "tokenfab/api/operator_auth.h"
#include "tokenfab/fleet/energy.h"
#include "tokenfab/net/http_exchange.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

constexpr size_t kMaxReportedHashes = 4096;

json::string_view View(std::string_view s) { return json::string_view(s.data(), s.size()); }

void ServeModels(const std::shared_ptr<GatewayContext>& context,
                 std::shared_ptr<net::HttpExchange> exchange) {
  context->control.Schedule([context, exchange] {
    const std::optional<std::string_view> key =
        api::ParseBearerToken(exchange->request().headers.Get("Authorization").value_or(""));
    if (!key) {
      (void)exchange->Respond(api::ApiErrorResponse(api::MissingApiKeyError()));
      return;
    }
    if (!context->auth.Authenticate(*key).ok()) {
      (void)exchange->Respond(api::ApiErrorResponse(api::InvalidApiKeyError()));
      return;
    }
    std::set<std::string> models;
    for (const fleet::Upstream& up : context->fleet.generation()->config->upstreams()) {
      for (const std::string& m : up.models) {
        if (m != "*") models.insert(m);
      }
    }
    json::array data;
    for (const std::string& m : models) {
      data.push_back(json::object{
          {"id", View(m)}, {"object", "model"}, {"created", 0}, {"owned_by", "tokenfab"}});
    }
    (void)exchange->Respond(net::HttpResponse::Json(
        200, json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}})));
  });
}

json::object UpstreamJson(const fleet::FleetConfig& config, size_t index,
                          const UpstreamRuntime& runtime, const fleet::UpstreamState& state) {
  const fleet::Upstream& up = config.upstreams()[index];
  const fleet::Site& site = config.SiteOf(up);
  json::object o;
  o["name"] = View(up.name);
  o["kind"] = View(fleet::UpstreamKindName(up.kind));
  o["url"] = View(up.url.ToString());
  o["site"] = View(site.name);
  o["region"] = View(config.RegionOf(site).name);
  o["healthy"] = state.healthy;
  o["circuit"] = View(fleet::CircuitStateName(state.circuit));
  o["running"] = state.running;
  o["waiting"] = state.waiting;
  o["in_flight"] = runtime.in_flight();
  o["kv_usage"] = state.kv_usage;
  o["queue_delay_ms"] = state.queue_delay_ms;
  o["rtt_ms"] = state.rtt_ms;
  o["tpot_ms"] = state.tpot_ms;
  o["tpot_interference_ms"] = state.tpot_interference_ms;
  if (state.step_model.known()) {
    o["step_model"] = json::object{{"base_us", state.step_model.base_us},
                                   {"prefill_token_us", state.step_model.prefill_token_us},
                                   {"decode_sequence_us", state.step_model.decode_sequence_us},
                                   {"kv_token_us", state.step_model.kv_token_us}};
  }
  o["cached_blocks"] = state.cached_blocks ? state.cached_blocks->size() : 0;
  o["last_error"] = View(runtime.last_error());
  return o;
}

// The ledger's outage state and the usage spool, when there is one. (Its spooled and replayed
// counters are counted as it happens: gateway.cc.)
void UpdateLedgerGauges(GatewayContext& ctx) {
  if (ctx.spool == nullptr) return;
  base::MetricsRegistry& r = ctx.metrics.registry;
  const ledger::UsageRecorder::Stats recorder = ctx.recorder.stats();
  const ledger::UsageSpool::Stats spool = ctx.spool->stats();
  r.GetGauge("tokenfab_gateway_ledger_outage",
             "1 while the ledger's store is away and usage events go to the local spool")
      .Set(recorder.outage ? 1 : 0);
  r.GetGauge("tokenfab_gateway_usage_spool_pending_events",
             "Usage events in the local spool not yet in the ledger's store")
      .Set(static_cast<double>(spool.pending_events));
  r.GetGauge("tokenfab_gateway_usage_spool_pending_bytes", "Bytes of those spooled events")
      .Set(static_cast<double>(spool.pending_bytes));
  const double age =
      spool.oldest_pending_micros > 0
          ? static_cast<double>(ctx.clock.WallMicros() - spool.oldest_pending_micros) / 1e6
          : 0.0;
  r.GetGauge("tokenfab_gateway_usage_spool_oldest_pending_age_seconds",
             "Age of the oldest spooled event not yet in the store (0: none)")
      .Set(std::max(0.0, age));
}

void UpdateSiteGauges(GatewayContext& ctx, const FleetGeneration& generation,
                      std::map<std::string, SlotUse>& site_use);

// The live state of every upstream and of every site, as gauges, set at each scrape.
void UpdateFleetGauges(GatewayContext& ctx, const FleetGeneration& generation,
                       const fleet::FleetSnapshot& snapshot) {
  base::MetricsRegistry& r = ctx.metrics.registry;
  std::map<std::string, SlotUse> site_use;
  for (size_t i = 0; i < generation.upstreams.size(); ++i) {
    const UpstreamRuntime& runtime = *generation.upstreams[i];
    const fleet::UpstreamState& s = snapshot.state(static_cast<uint32_t>(i));
    const fleet::Upstream& up = generation.config->upstreams()[i];
    const fleet::Site& site = generation.config->SiteOf(up);
    const base::MetricLabels labels{
        {"upstream", runtime.name()}, {"site", site.name}, {"region", site.region}};
    r.GetGauge("tokenfab_gateway_upstream_in_flight", "Requests sent and not ended", labels)
        .Set(runtime.in_flight());
    r.GetGauge("tokenfab_gateway_upstream_healthy", "1 when polls succeed", labels)
        .Set(s.healthy ? 1 : 0);
    r.GetGauge("tokenfab_gateway_upstream_circuit_open", "1 when the circuit is open", labels)
        .Set(s.circuit == fleet::CircuitState::kOpen ? 1 : 0);
    const double util = UpstreamUtilisation(s, runtime.max_running());
    site_use[site.name].Add(s, runtime.max_running());
    r.GetGauge("tokenfab_gateway_upstream_running", "Requests the upstream is running", labels)
        .Set(s.running);
    r.GetGauge("tokenfab_gateway_upstream_waiting", "Requests queued at the upstream", labels)
        .Set(s.waiting);
    r.GetGauge("tokenfab_gateway_upstream_utilisation_ratio",
               "Running over the upstream's limit (KV use when the limit is unknown)", labels)
        .Set(util);
    r.GetGauge("tokenfab_gateway_upstream_kv_usage_ratio", "Share of KV-cache blocks in use",
               labels)
        .Set(s.kv_usage);
    r.GetGauge("tokenfab_gateway_upstream_power_watts",
               "Facility power at that utilisation (hardware power times PUE), W", labels)
        .Set(up.hardware.PowerW(util) * site.energy.pue);
    r.GetGauge("tokenfab_gateway_upstream_rtt_seconds",
               "Measured round trip, s (-1: not measured yet)", labels)
        .Set(s.rtt_ms < 0 ? -1.0 : s.rtt_ms / 1e3);
    const PredictionErrors errors = runtime.prediction_errors();
    for (const auto& [latency, error] :
         {std::pair{"ttft", errors.ttft_p50}, {"tpot", errors.tpot_p50}}) {
      base::MetricLabels error_labels = labels;
      error_labels.push_back({"latency", latency});
      error_labels.push_back({"quantile", "0.5"});
      r.GetGauge("tokenfab_gateway_upstream_prediction_error_ratio",
                 "Median |predicted - observed| / observed of recent requests (-1: none yet)",
                 error_labels)
          .Set(error);
    }
  }
  UpdateSiteGauges(ctx, generation, site_use);
}

// The energy terms and the slot use of every site, as gauges.
void UpdateSiteGauges(GatewayContext& ctx, const FleetGeneration& generation,
                      std::map<std::string, SlotUse>& site_use) {
  base::MetricsRegistry& r = ctx.metrics.registry;
  const int64_t now = ctx.clock.WallMicros();
  for (const fleet::Site& site : generation.config->sites()) {
    const base::MetricLabels labels{{"site", site.name}, {"region", site.region}};
    r.GetGauge("tokenfab_gateway_site_energy_price_per_kwh",
               "Price of a facility kWh at the site this hour, fleet currency", labels)
        .Set(fleet::PriceAt(site.energy, site.utc_offset_minutes, now));
    r.GetGauge("tokenfab_gateway_site_green_share_ratio",
               "Share of the site's supply from renewables", labels)
        .Set(site.energy.green_share);
    r.GetGauge("tokenfab_gateway_site_carbon_grams_per_kwh",
               "Carbon intensity of the site's grid, g CO2 per kWh", labels)
        .Set(site.energy.carbon_g_per_kwh);
    r.GetGauge("tokenfab_gateway_site_utilisation_ratio",
               "Requests running at the site over the sum of its upstreams' limits", labels)
        .Set(site_use[site.name].Ratio());
  }
}

}  // namespace

std::string FleetLoadJson(const GatewayContext& context) {
  std::shared_ptr<const FleetGeneration> generation = context.fleet.generation();
  std::shared_ptr<const fleet::FleetSnapshot> snapshot = context.fleet.Snapshot(*generation);
  int64_t running = 0, waiting = 0, max_running = 0, healthy = 0;
  double kv = 0, prefill = 0, decode = 0, tpot = 0, queue_delay = -1;
  int tpot_count = 0;
  int32_t block_tokens = 0;
  std::vector<std::shared_ptr<const std::vector<uint64_t>>> lists;
  for (size_t i = 0; i < generation->upstreams.size(); ++i) {
    const fleet::UpstreamState& s = snapshot->state(static_cast<uint32_t>(i));
    if (!s.healthy || s.circuit == fleet::CircuitState::kOpen) continue;
    const UpstreamRuntime& runtime = *generation->upstreams[i];
    ++healthy;
    running += s.running;
    waiting += s.waiting;
    max_running += runtime.max_running();
    kv += s.kv_usage;
    prefill += s.prefill_tokens_per_s;
    decode += s.decode_tokens_per_s;
    if (s.tpot_ms > 0) {
      tpot += s.tpot_ms;
      ++tpot_count;
    }
    if (s.queue_delay_ms >= 0 && (queue_delay < 0 || s.queue_delay_ms < queue_delay)) {
      queue_delay = s.queue_delay_ms;
    }
    block_tokens = std::max(block_tokens, runtime.block_tokens());
    if (auto list = runtime.recent_block_hashes()) lists.push_back(std::move(list));
  }
  // The union, interleaved so that each upstream's most recent blocks come first.
  api::LoadReport report;
  std::set<uint64_t> seen;
  for (size_t rank = 0; report.block_hashes.size() < kMaxReportedHashes; ++rank) {
    bool any = false;
    for (const auto& list : lists) {
      if (rank >= list->size()) continue;
      any = true;
      const uint64_t h = (*list)[rank];
      if (seen.insert(h).second && report.block_hashes.size() < kMaxReportedHashes) {
        report.block_hashes.push_back(h);
      }
    }
    if (!any) break;
  }
  report.running = running;
  report.waiting = waiting;
  report.kv_usage = healthy > 0 ? kv / static_cast<double>(healthy) : 0.0;
  report.max_running = max_running;
  report.queue_delay_ms = queue_delay;
  report.prefill_tokens_per_s = prefill;
  report.decode_tokens_per_s = decode;
  report.tpot_ms = tpot_count > 0 ? tpot / tpot_count : 0.0;
  report.upstreams_healthy = healthy;
  report.block_tokens = block_tokens;
  report.prefix_cached_blocks = static_cast<int64_t>(seen.size());
  return api::LoadReportJson(report);
}

net::HttpHandler OperatorOnly(std::shared_ptr<GatewayContext> context, net::HttpHandler handler,
                              std::string_view challenge) {
  return [context, handler = std::move(handler),
          challenge = std::string(challenge)](std::shared_ptr<net::HttpExchange> exchange) {
    if (auto error = api::OperatorAuthError(exchange->request(), context->options.operator_token)) {
      net::HttpResponse response = api::ApiErrorResponse(*error);
      response.headers.Set("WWW-Authenticate", challenge + " realm=\"tokenfab operations\"");
      (void)exchange->Respond(std::move(response));
      return;
    }
    handler(std::move(exchange));
  };
}

void AddStatusRoutes(std::shared_ptr<GatewayContext> context, net::Router& router) {
  router.Handle("GET", "/v1/models", [context](std::shared_ptr<net::HttpExchange> exchange) {
    ServeModels(context, std::move(exchange));
  });
  router.Handle("GET", "/health", [context](std::shared_ptr<net::HttpExchange> exchange) {
    std::shared_ptr<const FleetGeneration> generation = context->fleet.generation();
    std::shared_ptr<const fleet::FleetSnapshot> snapshot = context->fleet.Snapshot(*generation);
    int healthy = 0;
    for (const fleet::UpstreamState& s : snapshot->states()) {
      if (s.healthy && s.circuit != fleet::CircuitState::kOpen) ++healthy;
    }
    json::object o{{"status", healthy > 0 ? "ok" : "no_upstream"},
                   {"upstreams", snapshot->states().size()},
                   {"upstreams_healthy", healthy}};
    (void)exchange->Respond(net::HttpResponse::Json(healthy > 0 ? 200 : 503, json::serialize(o)));
  });
}

void AddOperationsRoutes(std::shared_ptr<GatewayContext> context, net::Router& router) {
  // Only with the operator token.
  const auto ops = [&router, &context](std::string_view path, net::HttpHandler handler) {
    router.Handle("GET", path, OperatorOnly(context, std::move(handler)));
  };
  ops("/load", [context](std::shared_ptr<net::HttpExchange> exchange) {
    (void)exchange->Respond(net::HttpResponse::Json(200, FleetLoadJson(*context)));
  });
  ops("/fleet", [context](std::shared_ptr<net::HttpExchange> exchange) {
    std::shared_ptr<const FleetGeneration> generation = context->fleet.generation();
    std::shared_ptr<const fleet::FleetSnapshot> snapshot = context->fleet.Snapshot(*generation);
    json::array upstreams;
    for (size_t i = 0; i < generation->upstreams.size(); ++i) {
      upstreams.push_back(UpstreamJson(*generation->config, i, *generation->upstreams[i],
                                       snapshot->state(static_cast<uint32_t>(i))));
    }
    json::object o{{"gateway", View(context->name)},
                   {"generation", generation->number},
                   {"policy", View(generation->policy->spec())},
                   {"upstreams", std::move(upstreams)}};
    (void)exchange->Respond(net::HttpResponse::Json(200, json::serialize(o)));
  });
  ops("/metrics", [context](std::shared_ptr<net::HttpExchange> exchange) {
    GatewayContext& ctx = *context;
    std::shared_ptr<const FleetGeneration> generation = ctx.fleet.generation();
    std::shared_ptr<const fleet::FleetSnapshot> snapshot = ctx.fleet.Snapshot(*generation);
    base::MetricsRegistry& r = ctx.metrics.registry;
    UpdateFleetGauges(ctx, *generation, *snapshot);
    r.GetGauge("tokenfab_gateway_requests_open", "Requests being served")
        .Set(static_cast<double>(ctx.counters.open.load()));
    UpdateLedgerGauges(ctx);
    net::HttpResponse response = net::HttpResponse::Text(200, r.WritePrometheusText());
    response.headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    (void)exchange->Respond(std::move(response));
  });
}

}  // namespace tokenfab::gateway
