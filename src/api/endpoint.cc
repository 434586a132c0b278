#include "tokenfab/api/endpoint.h"

#include <fmt/format.h>

namespace tokenfab::api {

std::string_view EndpointPath(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kCompletions:
      return "/v1/completions";
    case Endpoint::kChatCompletions:
      return "/v1/chat/completions";
  }
  return "/v1/completions";
}

std::string_view EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kCompletions:
      return "completions";
    case Endpoint::kChatCompletions:
      return "chat";
  }
  return "completions";
}

StatusOr<Endpoint> ParseEndpointName(std::string_view name) {
  for (Endpoint endpoint : {Endpoint::kCompletions, Endpoint::kChatCompletions}) {
    if (name == EndpointName(endpoint)) return endpoint;
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown endpoint '{}' (expected completions or chat)", name));
}

}  // namespace tokenfab::api
