#include "tokenfab/routing/estimates.h"

#include <algorithm>

namespace tokenfab::routing {

UpstreamEstimate EstimateRequest(const RoutingRequest& request,
                                 const fleet::FleetSnapshot& snapshot, uint32_t upstream) {
  const fleet::FleetConfig& config = snapshot.config();
  const fleet::Upstream& up = config.upstreams()[upstream];
  const fleet::Site& site = config.SiteOf(up);
  const fleet::UpstreamState& state = snapshot.state(upstream);
  UpstreamEstimate e;
  e.rtt_ms = state.rtt_ms >= 0 ? state.rtt_ms : site.network.rtt_ms;
  const double prefill_rate =
      state.prefill_tokens_per_s > 0 ? state.prefill_tokens_per_s : up.nominal.prefill_tokens_per_s;
  const double decode_rate =
      state.decode_tokens_per_s > 0 ? state.decode_tokens_per_s : up.nominal.decode_tokens_per_s;
  const int32_t prompt = std::max(request.prompt_tokens, 0);
  if (state.cached_blocks != nullptr && !request.block_hashes.empty()) {
    const int64_t blocks = state.cached_blocks->LeadingMatch(request.block_hashes);
    e.cached_tokens =
        static_cast<int32_t>(std::min<int64_t>(prompt, blocks * std::max(request.block_tokens, 0)));
  }
  const int32_t uncached = prompt - e.cached_tokens;
  const double ms_per_prefill_token = prefill_rate > 0 ? 1000.0 / prefill_rate : 0;
  e.prefill_ms = uncached * ms_per_prefill_token;
  // Without an estimate from the upstream, each waiting request is taken to need as long to
  // prefill as this one would without its cache.
  e.queue_ms = state.queue_delay_ms >= 0 ? state.queue_delay_ms
                                         : state.waiting * prompt * ms_per_prefill_token;
  e.ttft_ms = e.rtt_ms + e.queue_ms + e.prefill_ms;
  e.tpot_ms = state.tpot_ms;
  // Every request yields at least its first token.
  const int32_t output = std::max(request.expected_output_tokens, 1);
  // Wh per token at full-load power: derived once in the config for the nominal rates.
  const double prefill_wh = state.prefill_tokens_per_s > 0
                                ? fleet::EnergyPerTokenWh(up.hardware.PowerW(1.0), prefill_rate)
                                : up.prefill_wh_per_token;
  const double decode_wh = state.decode_tokens_per_s > 0
                               ? fleet::EnergyPerTokenWh(up.hardware.PowerW(1.0), decode_rate)
                               : up.decode_wh_per_token;
  const double it_wh = uncached * prefill_wh + output * decode_wh;
  e.energy_wh = fleet::FacilityEnergyWh(site.energy, it_wh);
  e.cost = e.energy_wh / 1000.0 * snapshot.SitePrice(up.site_index);
  e.carbon_g = fleet::CarbonGrams(site.energy, e.energy_wh);
  return e;
}

bool MeetsSlo(const UpstreamEstimate& estimate, const SloTarget& slo, double headroom) {
  if (slo.ttft_ms > 0 && estimate.ttft_ms > headroom * slo.ttft_ms) return false;
  if (slo.tpot_ms > 0 && estimate.tpot_ms > 0 && estimate.tpot_ms > headroom * slo.tpot_ms) {
    return false;
  }
  return true;
}

}  // namespace tokenfab::routing
