// RankContext: the inputs of one Rank() call, plus the per-upstream figures several filters and
// scorers need (the estimates of estimates.h), computed once on first use.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/estimates.h"
#include "tokenfab/routing/latency_predictor.h"
#include "tokenfab/routing/routing_request.h"

namespace tokenfab::routing {

// Borrows the request and the snapshot, which must outlive it. Lives for one Rank() call; not
// thread-safe.
class RankContext {
 public:
  RankContext(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot);

  const RoutingRequest& request() const { return request_; }
  const fleet::FleetSnapshot& snapshot() const { return snapshot_; }

  // EstimateRequest(request(), snapshot(), upstream), memoized. The reference stays valid for
  // the context's lifetime.
  const UpstreamEstimate& Estimate(uint32_t upstream);
  // PredictLatency(request(), snapshot(), upstream), memoized likewise.
  const LatencyPrediction& Prediction(uint32_t upstream);

 private:
  const RoutingRequest& request_;
  const fleet::FleetSnapshot& snapshot_;
  std::vector<int32_t> slot_;  // upstream -> index into estimates_, -1 until computed
  std::vector<UpstreamEstimate> estimates_;
  std::vector<int32_t> prediction_slot_;  // upstream -> index into predictions_, -1 until computed
  std::vector<LatencyPrediction> predictions_;
};

}  // namespace tokenfab::routing
