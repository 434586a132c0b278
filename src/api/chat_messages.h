// Parsing of a chat request's `messages` array into the chat template's messages (see
// completion_request.h for the accepted forms). Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include <boost/json/value.hpp>

#include "tokenfab/base/status.h"
#include "tokenfab/tokenizer/chat_template.h"

namespace tokenfab::api {

// REQUIRES: `messages` is the (non-null) value of the field. Errors name the field at fault,
// "messages[i].content[j].type" at the deepest.
[[nodiscard]] StatusOr<std::vector<tokenizer::ChatMessage>> ParseChatMessages(
    const boost::json::value& messages, int32_t max_messages);

}  // namespace tokenfab::api
