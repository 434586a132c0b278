#include "dashboard_routes.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include <boost/json.hpp>

#include "request_energy.h"
#include "status_routes.h"
#include "tokenfab/fleet/energy.h"
#include "tokenfab/net/http_exchange.h"
#include "web_assets.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

json::string_view View(std::string_view s) { return json::string_view(s.data(), s.size()); }

json::value Optional(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// The series of `name` in `all`: made on first use with one array of `n` nulls per key (a sample
// without that upstream or tier is a gap), and the same object at every later call.
json::object& SeriesOf(json::object& all, std::string_view name,
                       std::initializer_list<const char*> keys, size_t n) {
  if (json::value* existing = all.if_contains(View(name))) return existing->as_object();
  json::object& series = all[View(name)].emplace_object();
  for (const char* k : keys) series[k] = json::array(n, nullptr);
  return series;
}

json::object SeriesJson(const OpsHistory::View& view) {
  json::array t, tokens, requests, errors, refused, power;
  json::object tiers, upstreams;
  const size_t n = view.samples.size();
  for (size_t i = 0; i < n; ++i) {
    const OpsSample& s = view.samples[i];
    t.push_back(static_cast<double>(s.wall_micros) / 1e6);
    tokens.push_back(s.tokens_per_s);
    requests.push_back(s.requests_per_s);
    errors.push_back(s.errors_per_s);
    refused.push_back(s.refused_per_s);
    double watts = 0;
    for (const UpstreamPoint& u : s.upstreams) {
      watts += u.power_w;
      json::object& series = SeriesOf(upstreams, u.name, {"utilisation", "kv_usage", "waiting"}, n);
      series["utilisation"].as_array()[i] = u.utilisation;
      series["kv_usage"].as_array()[i] = u.kv_usage;
      series["waiting"].as_array()[i] = u.waiting;
    }
    power.push_back(watts);
    for (const auto& [name, point] : s.tiers) {
      json::object& series =
          SeriesOf(tiers, name, {"ttft_p50_ms", "ttft_p95_ms", "tpot_p50_ms", "tpot_p95_ms"}, n);
      series["ttft_p50_ms"].as_array()[i] = Optional(point.ttft_p50_ms);
      series["ttft_p95_ms"].as_array()[i] = Optional(point.ttft_p95_ms);
      series["tpot_p50_ms"].as_array()[i] = Optional(point.tpot_p50_ms);
      series["tpot_p95_ms"].as_array()[i] = Optional(point.tpot_p95_ms);
    }
  }
  return {{"t", std::move(t)},
          {"tokens_per_s", std::move(tokens)},
          {"requests_per_s", std::move(requests)},
          {"errors_per_s", std::move(errors)},
          {"refused_per_s", std::move(refused)},
          {"power_w", std::move(power)},
          {"tiers", std::move(tiers)},
          {"upstreams", std::move(upstreams)}};
}

json::array TopTenants(const OpsHistory::View& view, bool by_spend) {
  std::vector<std::pair<std::string, TenantTotals>> tenants(view.tenants.begin(),
                                                            view.tenants.end());
  std::sort(tenants.begin(), tenants.end(), [by_spend](const auto& a, const auto& b) {
    const int64_t x = by_spend ? a.second.spend : a.second.tokens;
    const int64_t y = by_spend ? b.second.spend : b.second.tokens;
    return x != y ? x > y : a.first < b.first;
  });
  json::array out;
  for (size_t i = 0; i < tenants.size() && i < 10; ++i) {
    const auto& [name, t] = tenants[i];
    out.push_back(json::object{{"tenant", View(name)},
                               {"requests", t.requests},
                               {"tokens", t.tokens},
                               {"spend", static_cast<double>(t.spend) / 1e6},
                               {"currency", View(t.currency)}});
  }
  return out;
}

json::array ErrorsJson(const OpsHistory::View& view) {
  json::array out;
  for (const OpsError& e : view.errors) {
    out.push_back(json::object{{"t", static_cast<double>(e.wall_micros) / 1e6},
                               {"kind", View(e.kind)},
                               {"status", e.http_status},
                               {"tenant", View(e.tenant)},
                               {"model", View(e.model)},
                               {"upstream", View(e.upstream)},
                               {"message", View(e.message)}});
  }
  return out;
}

// What the page shows of a site: its upstreams (healthy, total) and their power draw now.
struct SiteLive {
  int healthy = 0;
  int upstreams = 0;
  double power_w = 0;
};

// One site: its energy now, its live state, and the economics metered so far.
json::object SiteJson(const fleet::Site& site, const SiteLive& live, const SiteTotals& totals,
                      int64_t now) {
  const double mtok = static_cast<double>(totals.tokens) / 1e6;
  return {{"name", View(site.name)},
          {"region", View(site.region)},
          {"upstreams", live.upstreams},
          {"healthy", live.healthy},
          {"price_kwh", fleet::PriceAt(site.energy, site.utc_offset_minutes, now)},
          {"green_share", site.energy.green_share},
          {"pue", site.energy.pue},
          {"carbon_g_per_kwh", site.energy.carbon_g_per_kwh},
          {"power_w", live.power_w},
          {"tokens", totals.tokens},
          {"energy_wh", totals.energy_wh},
          {"energy_cost", totals.energy_cost},
          {"carbon_g", totals.carbon_g},
          {"cost_per_mtok", mtok > 0 ? json::value(totals.energy_cost / mtok) : nullptr},
          {"gco2_per_mtok", mtok > 0 ? json::value(totals.carbon_g / mtok) : nullptr}};
}

// Regions, their sites and upstreams (live state).
json::object FleetJson(const GatewayContext& context, const OpsHistory::View& view) {
  std::shared_ptr<const FleetGeneration> generation = context.fleet.generation();
  std::shared_ptr<const fleet::FleetSnapshot> snapshot = context.fleet.Snapshot(*generation);
  const fleet::FleetConfig& config = *generation->config;
  json::array upstreams;
  std::map<std::string, SiteLive> live;
  for (size_t i = 0; i < generation->upstreams.size(); ++i) {
    const fleet::Upstream& up = config.upstreams()[i];
    const fleet::Site& site = config.SiteOf(up);
    const UpstreamRuntime& runtime = *generation->upstreams[i];
    const fleet::UpstreamState& s = snapshot->state(static_cast<uint32_t>(i));
    const double util = UpstreamUtilisation(s, runtime.max_running());
    const double power = up.hardware.PowerW(util) * site.energy.pue;
    SiteLive& at = live[site.name];
    at.healthy += s.healthy && s.circuit != fleet::CircuitState::kOpen ? 1 : 0;
    ++at.upstreams;
    at.power_w += power;
    upstreams.push_back(json::object{{"name", View(up.name)},
                                     {"site", View(site.name)},
                                     {"region", View(config.RegionOf(site).name)},
                                     {"healthy", s.healthy},
                                     {"circuit", View(fleet::CircuitStateName(s.circuit))},
                                     {"rtt_ms", s.rtt_ms},
                                     {"running", s.running},
                                     {"waiting", s.waiting},
                                     {"max_running", runtime.max_running()},
                                     {"utilisation", util},
                                     {"kv_usage", s.kv_usage},
                                     {"in_flight", runtime.in_flight()},
                                     {"power_w", power},
                                     {"last_error", View(runtime.last_error())}});
  }
  const int64_t now = context.clock.WallMicros();
  json::array sites;
  for (const fleet::Site& site : config.sites()) {
    auto totals = view.sites.find(site.name);
    sites.push_back(SiteJson(site, live[site.name],
                             totals == view.sites.end() ? SiteTotals{} : totals->second, now));
  }
  json::array regions;
  for (const fleet::Region& region : config.regions()) {
    regions.push_back(
        json::object{{"name", View(region.name)}, {"description", View(region.description)}});
  }
  return {{"currency", View(config.currency())},
          {"generation", generation->number},
          {"policy", View(generation->policy->spec())},
          {"regions", std::move(regions)},
          {"sites", std::move(sites)},
          {"upstreams", std::move(upstreams)}};
}

std::string DashboardHtml() {
  std::string html(WebAsset("dashboard.html"));
  auto inline_asset = [&html](std::string_view marker, std::string_view asset) {
    const size_t at = html.find(marker);
    if (at != std::string::npos) html.replace(at, marker.size(), asset);
  };
  inline_asset("/*UPLOT_CSS*/", WebAsset("uplot.css"));
  inline_asset("/*DASHBOARD_CSS*/", WebAsset("dashboard.css"));
  inline_asset("/*UPLOT_JS*/", WebAsset("uplot.js"));
  inline_asset("/*CHARTS_JS*/", WebAsset("charts.js"));
  inline_asset("/*DASHBOARD_JS*/", WebAsset("dashboard.js"));
  return html;
}

}  // namespace

void SampleOpsHistory(GatewayContext& context) {
  std::shared_ptr<const FleetGeneration> generation = context.fleet.generation();
  std::shared_ptr<const fleet::FleetSnapshot> snapshot = context.fleet.Snapshot(*generation);
  const fleet::FleetConfig& config = *generation->config;
  std::vector<UpstreamPoint> points;
  for (size_t i = 0; i < generation->upstreams.size(); ++i) {
    const fleet::Upstream& up = config.upstreams()[i];
    const fleet::UpstreamState& s = snapshot->state(static_cast<uint32_t>(i));
    const double util = UpstreamUtilisation(s, generation->upstreams[i]->max_running());
    points.push_back({.name = up.name,
                      .utilisation = util,
                      .kv_usage = s.kv_usage,
                      .waiting = s.waiting,
                      .running = s.running,
                      .power_w = up.hardware.PowerW(util) * config.SiteOf(up).energy.pue});
  }
  context.ops.Sample(context.clock.WallMicros(), std::move(points));
}

std::string DashboardDataJson(const GatewayContext& context) {
  const OpsHistory::View view = context.ops.Read();
  json::object o = FleetJson(context, view);
  o["gateway"] = View(context.name);
  o["now"] = static_cast<double>(context.clock.WallMicros()) / 1e6;
  o["interval_s"] = static_cast<double>(view.interval_micros) / 1e6;
  json::array tiers;
  for (const auto& [name, tier] : view.tiers) {
    tiers.push_back(json::object{{"name", View(name)},
                                 {"ttft_slo_ms", tier.ttft_slo_ms},
                                 {"tpot_slo_ms", tier.tpot_slo_ms}});
  }
  o["tiers"] = std::move(tiers);
  o["series"] = SeriesJson(view);
  o["tenants_by_tokens"] = TopTenants(view, false);
  o["tenants_by_spend"] = TopTenants(view, true);
  o["errors"] = ErrorsJson(view);
  json::object by_kind;
  for (const auto& [kind, count] : view.errors_by_kind) by_kind[kind] = count;
  o["errors_by_kind"] = std::move(by_kind);
  return json::serialize(o);
}

void AddDashboardRoutes(std::shared_ptr<GatewayContext> context, net::Router& router) {
  // Operations routes; the Basic challenge makes a browser ask for the token (as the password).
  const auto ops = [&router, &context](std::string_view path, net::HttpHandler handler) {
    router.Handle("GET", path, OperatorOnly(context, std::move(handler), "Basic"));
  };
  ops("/dashboard", [](std::shared_ptr<net::HttpExchange> exchange) {
    static const std::string* const kPage = new std::string(DashboardHtml());
    net::HttpResponse response = net::HttpResponse::Text(200, *kPage);
    response.headers.Set("Content-Type", "text/html; charset=utf-8");
    response.headers.Set("Cache-Control", "no-store");
    (void)exchange->Respond(std::move(response));
  });
  ops("/dashboard/data", [context](std::shared_ptr<net::HttpExchange> exchange) {
    net::HttpResponse response = net::HttpResponse::Json(200, DashboardDataJson(*context));
    response.headers.Set("Cache-Control", "no-store");
    (void)exchange->Respond(std::move(response));
  });
}

}  // namespace tokenfab::gateway
