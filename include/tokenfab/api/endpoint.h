// Endpoint: the OpenAI-compatible inference endpoints, one vocabulary for the node that serves
// them, the gateway that relays them and the load generator that calls them.
//
//   kCompletions      POST /v1/completions       (name "completions")
//   kChatCompletions  POST /v1/chat/completions  (name "chat")
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::api {

enum class Endpoint {
  kCompletions,
  kChatCompletions,
};

// The endpoint's path: "/v1/completions", "/v1/chat/completions".
std::string_view EndpointPath(Endpoint endpoint);

// The short name used on command lines and in reports: "completions", "chat".
std::string_view EndpointName(Endpoint endpoint);

// The endpoint named `name` (EndpointName's inverse). InvalidArgument for any other name.
[[nodiscard]] StatusOr<Endpoint> ParseEndpointName(std::string_view name);

}  // namespace tokenfab::api
