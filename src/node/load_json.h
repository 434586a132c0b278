// The body of GET /load: the engine's load snapshot in the JSON contract gateways code against
// (the model id; running, waiting; KV blocks and use; estimated queue delay; measured prefill and
// decode rates and TPOT; the prefix-cache summary with the cached blocks' chained hashes as
// 16-digit hex, most recently used first). Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/engine/engine_load.h"

namespace tokenfab::node {

std::string LoadJson(std::string_view model, const engine::EngineLoad& load);

}  // namespace tokenfab::node
