// The operations page: GET /dashboard (one self-contained HTML page: uPlot, the chart helpers and
// the page's script are inlined from the binary, no request to any other host) and
// GET /dashboard/data (the JSON it polls: the fleet's regions, sites and upstreams now, the
// history the gateway keeps in OpsHistory, top tenants, recent errors). Open to every caller, as
// /metrics and /fleet are: the gateway has no operator credential yet.
#pragma once

#include <memory>
#include <string>

#include "gateway_context.h"
#include "tokenfab/net/router.h"

namespace tokenfab::gateway {

void AddDashboardRoutes(std::shared_ptr<GatewayContext> context, net::Router& router);

// Adds a sample of the fleet's live state and what ended since the last one to context.ops.
void SampleOpsHistory(GatewayContext& context);

// The body of GET /dashboard/data.
std::string DashboardDataJson(const GatewayContext& context);

}  // namespace tokenfab::gateway
