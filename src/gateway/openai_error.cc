#include "openai_error.h"

#include <boost/json.hpp>

namespace tokenfab::gateway {

std::string OpenAiErrorJson(std::string_view message, std::string_view type,
                            std::string_view code) {
  namespace json = boost::json;
  json::object error;
  error["message"] = json::string_view(message.data(), message.size());
  error["type"] = json::string_view(type.data(), type.size());
  error["param"] = nullptr;
  if (code.empty()) {
    error["code"] = nullptr;
  } else {
    error["code"] = json::string_view(code.data(), code.size());
  }
  json::object root;
  root["error"] = std::move(error);
  return json::serialize(root);
}

net::HttpResponse OpenAiError(int status, std::string_view message, std::string_view type,
                              std::string_view code, int64_t retry_after_seconds) {
  net::HttpResponse response =
      net::HttpResponse::Json(status, OpenAiErrorJson(message, type, code));
  if (retry_after_seconds > 0) {
    response.headers.Set("Retry-After", std::to_string(retry_after_seconds));
  }
  return response;
}

}  // namespace tokenfab::gateway
