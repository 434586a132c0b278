// The answers of GET /v1/models (a `list` of `model` objects) and GET /v1/models/{id}, in
// OpenAI's shapes, with the context length vLLM adds (`max_model_len`). Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tokenfab::api {

struct ModelCard {
  std::string id;            // the served model name
  int64_t created = 0;       // Unix seconds (when the node started)
  std::string owned_by = "tokenfab";
  int64_t max_model_len = 0;  // tokens; 0: not shown
};

// {"object": "list", "data": [{"id", "object": "model", "created", "owned_by", ...}]}.
std::string ModelListJson(const std::vector<ModelCard>& models);
// One {"id", "object": "model", ...}.
std::string ModelCardJson(const ModelCard& model);

}  // namespace tokenfab::api
