#include "tokenfab/routing/rank_context.h"

namespace tokenfab::routing {

RankContext::RankContext(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot)
    : request_(request), snapshot_(snapshot) {}

const UpstreamEstimate& RankContext::Estimate(uint32_t upstream) {
  if (slot_.empty()) {
    const size_t total = snapshot_.config().upstreams().size();
    slot_.assign(total, -1);
    estimates_.reserve(total);  // never reallocates: returned references stay valid
  }
  int32_t& slot = slot_[upstream];
  if (slot < 0) {
    slot = static_cast<int32_t>(estimates_.size());
    estimates_.push_back(EstimateRequest(request_, snapshot_, upstream));
  }
  return estimates_[slot];
}

const LatencyPrediction& RankContext::Prediction(uint32_t upstream) {
  if (prediction_slot_.empty()) {
    const size_t total = snapshot_.config().upstreams().size();
    prediction_slot_.assign(total, -1);
    predictions_.reserve(total);  // never reallocates: returned references stay valid
  }
  int32_t& slot = prediction_slot_[upstream];
  if (slot < 0) {
    slot = static_cast<int32_t>(predictions_.size());
    predictions_.push_back(PredictLatency(request_, snapshot_, upstream));
  }
  return predictions_[slot];
}

}  // namespace tokenfab::routing
