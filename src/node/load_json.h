// The body of GET /load: the engine's load snapshot as the api::LoadReport contract gateways code
// against (the model id; running, waiting; KV blocks and use; estimated queue delay; measured
// prefill and decode rates and TPOT; the queue as tokens; the step-time model; the prefix-cache
// summary with the cached blocks' chained hashes, most recently used first). Pure functions;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tokenfab/api/load_report.h"
#include "tokenfab/engine/engine_load.h"
#include "tokenfab/engine/performance_model.h"

namespace tokenfab::node {

// `step_model`: the engine's step-time model when the node knows it (published as step_model).
api::LoadReport NodeLoadReport(std::string_view model, const engine::EngineLoad& load,
                               const std::optional<engine::PerformanceModel>& step_model = {});

// api::LoadReportJson(NodeLoadReport(model, load, step_model)).
std::string LoadJson(std::string_view model, const engine::EngineLoad& load,
                     const std::optional<engine::PerformanceModel>& step_model = {});

}  // namespace tokenfab::node
