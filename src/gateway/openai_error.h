// Error answers in OpenAI's shape:
//   {"error": {"message": "...", "type": "...", "param": null, "code": "..."}}
// with the headers every gateway answer carries. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tokenfab/net/http_message.h"

namespace tokenfab::gateway {

std::string OpenAiErrorJson(std::string_view message, std::string_view type,
                            std::string_view code);

// A JSON error response; `retry_after_seconds` > 0 adds Retry-After.
net::HttpResponse OpenAiError(int status, std::string_view message, std::string_view type,
                              std::string_view code, int64_t retry_after_seconds = 0);

}  // namespace tokenfab::gateway
