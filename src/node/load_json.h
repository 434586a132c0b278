// The body of GET /load: the engine's load snapshot as the api::LoadReport contract gateways code
// against (the model id; running, waiting; KV blocks and use; estimated queue delay; measured
// prefill and decode rates and TPOT; the prefix-cache summary with the cached blocks' chained
// hashes, most recently used first). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/api/load_report.h"
#include "tokenfab/engine/engine_load.h"

namespace tokenfab::node {

api::LoadReport NodeLoadReport(std::string_view model, const engine::EngineLoad& load);

// api::LoadReportJson(NodeLoadReport(model, load)).
std::string LoadJson(std::string_view model, const engine::EngineLoad& load);

}  // namespace tokenfab::node
