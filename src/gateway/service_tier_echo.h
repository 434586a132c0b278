// The `service_tier` field of an answer: OpenAI names in every response object (and every stream
// chunk) the tier that served it. These add or replace it in one JSON object's text.
#pragma once

#include <string>
#include <string_view>

namespace tokenfab::gateway {

// `json` (an object's text) with "service_tier": `tier`. An object already carrying the field
// gets it replaced; text that is not a JSON object is returned unchanged.
std::string WithServiceTier(std::string_view json, std::string_view tier);

}  // namespace tokenfab::gateway
