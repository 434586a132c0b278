#include "ops_history.h"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

namespace tokenfab::gateway {
namespace {

// The error's code, else its type, from an OpenAI-shaped error body; "http_<status>" otherwise.
std::string ErrorKind(std::string_view body, int32_t http_status, std::string* message) {
  boost::system::error_code ec;
  boost::json::value doc =
      boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (!ec && doc.is_object()) {
    if (const boost::json::value* error = doc.as_object().if_contains("error");
        error != nullptr && error->is_object()) {
      const boost::json::object& e = error->as_object();
      if (const auto* m = e.if_contains("message"); m != nullptr && m->is_string()) {
        *message = std::string(m->as_string());
      }
      for (const char* field : {"code", "type"}) {
        if (const auto* v = e.if_contains(field);
            v != nullptr && v->is_string() && !v->as_string().empty()) {
          return std::string(v->as_string());
        }
      }
    }
  }
  return "http_" + std::to_string(http_status);
}

std::optional<double> Quantile(std::vector<double>* values, double q) {
  if (values == nullptr || values->empty()) return std::nullopt;
  return NearestRankQuantile(*values, q);
}

}  // namespace

double NearestRankQuantile(std::vector<double>& values, double q) {
  const size_t n = values.size();
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(rank - 1), values.end());
  return values[rank - 1];
}

OpsHistory::OpsHistory(size_t capacity, int64_t interval_micros)
    : capacity_(std::max<size_t>(1, capacity)), interval_micros_(interval_micros) {}

void OpsHistory::OnEvent(const ledger::UsageEvent& event, const ledger::Tier& tier,
                         double energy_price) {
  absl::MutexLock lock(&mu_);
  const int64_t tokens = event.total_tokens();
  ++window_.requests;
  window_.tokens += tokens;
  tiers_[tier.name] = tier;
  if (event.ttft_micros > 0) window_.ttft_ms[tier.name].push_back(event.ttft_micros / 1e3);
  if (event.tpot_micros > 0) window_.tpot_ms[tier.name].push_back(event.tpot_micros / 1e3);
  TenantTotals& tenant = tenants_[event.tenant];
  ++tenant.requests;
  tenant.tokens += tokens;
  tenant.spend += event.cost;
  tenant.currency = event.currency;
  if (!event.site.empty()) {
    SiteTotals& site = sites_[event.site];
    site.tokens += tokens;
    site.energy_wh += event.energy_wh;
    site.energy_cost += event.energy_wh / 1000.0 * energy_price;
    site.carbon_g += event.carbon_g;
  }
  if (event.status == "ok" || event.status == "cancelled") return;
  if (event.status != "upstream_rejected") ++window_.errors;
  AddError({.wall_micros = event.finished_micros,
            .kind = event.status == "error" ? "upstream_error" : event.status,
            .http_status = event.http_status,
            .tenant = event.tenant,
            .model = event.model,
            .upstream = event.upstream,
            .message = ""});
}

void OpsHistory::OnRefusal(int64_t wall_micros, int32_t http_status, std::string_view body,
                           std::string_view tenant, std::string_view model) {
  OpsError error{.wall_micros = wall_micros,
                 .kind = "",
                 .http_status = http_status,
                 .tenant = std::string(tenant),
                 .model = std::string(model),
                 .upstream = "",
                 .message = ""};
  error.kind = ErrorKind(body, http_status, &error.message);
  absl::MutexLock lock(&mu_);
  ++window_.requests;
  if (http_status >= 500) {
    ++window_.errors;
  } else {
    ++window_.refused;
  }
  AddError(std::move(error));
}

void OpsHistory::AddError(OpsError error) {
  ++errors_by_kind_[error.kind];
  errors_.push_front(std::move(error));
  while (errors_.size() > kRecentErrors) errors_.pop_back();
}

void OpsHistory::Sample(int64_t wall_micros, std::vector<UpstreamPoint> upstreams) {
  absl::MutexLock lock(&mu_);
  // The window's real length (the first one, and a late timer, are not one interval).
  int64_t span = last_sample_micros_ > 0 ? wall_micros - last_sample_micros_ : interval_micros_;
  if (span <= 0) span = interval_micros_;
  last_sample_micros_ = wall_micros;
  const double seconds = static_cast<double>(span) / 1e6;
  OpsSample s;
  s.wall_micros = wall_micros;
  s.tokens_per_s = static_cast<double>(window_.tokens) / seconds;
  s.requests_per_s = static_cast<double>(window_.requests) / seconds;
  s.errors_per_s = static_cast<double>(window_.errors) / seconds;
  s.refused_per_s = static_cast<double>(window_.refused) / seconds;
  for (const auto& [name, tier] : tiers_) {
    auto ttft = window_.ttft_ms.find(name);
    auto tpot = window_.tpot_ms.find(name);
    std::vector<double>* ttft_values = ttft == window_.ttft_ms.end() ? nullptr : &ttft->second;
    std::vector<double>* tpot_values = tpot == window_.tpot_ms.end() ? nullptr : &tpot->second;
    s.tiers[name] = {Quantile(ttft_values, 0.5), Quantile(ttft_values, 0.95),
                     Quantile(tpot_values, 0.5), Quantile(tpot_values, 0.95)};
  }
  s.upstreams = std::move(upstreams);
  window_ = Window();
  samples_.push_back(std::move(s));
  while (samples_.size() > capacity_) samples_.pop_front();
}

OpsHistory::View OpsHistory::Read() const {
  absl::MutexLock lock(&mu_);
  View v;
  v.samples.assign(samples_.begin(), samples_.end());
  v.tiers = tiers_;
  v.tenants = tenants_;
  v.sites = sites_;
  v.errors.assign(errors_.begin(), errors_.end());
  v.errors_by_kind = errors_by_kind_;
  v.interval_micros = interval_micros_;
  return v;
}

}  // namespace tokenfab::gateway
