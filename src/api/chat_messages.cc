#include "chat_messages.h"

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "json_fields.h"
#include "tokenfab/api/api_error.h"

namespace tokenfab::api {
namespace {

namespace json = boost::json;

bool IsKnownRole(std::string_view role) {
  return role == "system" || role == "developer" || role == "user" || role == "assistant" ||
         role == "tool";
}

// Content given as an array of parts: the text parts joined with newlines (as vLLM does for
// templates that take a string). Other part types (images, audio, files) are not supported.
StatusOr<std::string> JoinTextParts(const json::array& parts, const std::string& path) {
  std::string text;
  for (size_t j = 0; j < parts.size(); ++j) {
    const std::string part_path = fmt::format("{}[{}]", path, j);
    const json::object* part = parts[j].if_object();
    if (part == nullptr) {
      return InvalidParamError(part_path, fmt::format("'{}' must be an object, not {}", part_path,
                                                      JsonKindName(parts[j])));
    }
    JsonFields fields(*part, part_path);
    std::string type;
    TF_RETURN_IF_ERROR(fields.String("type", &type));
    if (type != "text") {
      const std::string type_path = fields.Name("type");
      if (type.empty()) {
        return InvalidParamError(type_path, fmt::format("'{}' is required", type_path));
      }
      return InvalidParamError(
          type_path, fmt::format("content parts of type '{}' are not supported (only 'text')", type));
    }
    const json::value* value = fields.Find("text");
    if (value == nullptr || !value->is_string()) return fields.TypeError("text", "a string");
    if (j > 0) text += '\n';
    text.append(value->get_string().data(), value->get_string().size());
  }
  return text;
}

Status ParseContent(const JsonFields& fields, const std::string& role,
                    tokenizer::ChatMessage& message) {
  const json::value* content = fields.Find("content");
  if (content == nullptr) {
    // Only an assistant turn may leave it out (it then calls tools, or is empty).
    if (role == "assistant") return absl::OkStatus();
    const std::string name = fields.Name("content");
    return InvalidParamError(name, fmt::format("'{}' is required for role '{}'", name, role));
  }
  if (const json::string* s = content->if_string()) {
    message.content = std::string(*s);
    return absl::OkStatus();
  }
  if (const json::array* parts = content->if_array()) {
    TF_ASSIGN_OR_RETURN(std::string text, JoinTextParts(*parts, fields.Name("content")));
    message.content = std::move(text);
    return absl::OkStatus();
  }
  return fields.TypeError("content", "a string or an array of content parts");
}

StatusOr<tokenizer::ChatMessage> ParseMessage(const json::value& value, const std::string& path) {
  const json::object* object = value.if_object();
  if (object == nullptr) {
    return InvalidParamError(
        path, fmt::format("'{}' must be an object, not {}", path, JsonKindName(value)));
  }
  JsonFields fields(*object, path);
  tokenizer::ChatMessage message;
  TF_RETURN_IF_ERROR(fields.String("role", &message.role));
  if (!IsKnownRole(message.role)) {
    const std::string name = fields.Name("role");
    if (message.role.empty()) return InvalidParamError(name, fmt::format("'{}' is required", name));
    return InvalidParamError(
        name, fmt::format("'{}' is '{}'; expected system, developer, user, assistant or tool", name,
                          message.role));
  }
  TF_RETURN_IF_ERROR(ParseContent(fields, message.role, message));
  // Templates know "system"; "developer" is OpenAI's newer name for the same turn.
  if (message.role == "developer") message.role = "system";

  std::string text;
  if (fields.Find("name") != nullptr) {
    TF_RETURN_IF_ERROR(fields.String("name", &text));
    message.name = text;
  }
  if (fields.Find("tool_call_id") != nullptr) {
    TF_RETURN_IF_ERROR(fields.String("tool_call_id", &text));
    message.tool_call_id = text;
  }
  if (fields.Find("reasoning_content") != nullptr) {
    TF_RETURN_IF_ERROR(fields.String("reasoning_content", &text));
    message.reasoning_content = text;
  }
  if (const json::value* calls = fields.Find("tool_calls")) {
    if (!calls->is_array()) return fields.TypeError("tool_calls", "an array");
    if (!calls->get_array().empty()) message.tool_calls_json = json::serialize(*calls);
  }
  return message;
}

}  // namespace

StatusOr<std::vector<tokenizer::ChatMessage>> ParseChatMessages(const json::value& messages,
                                                                int32_t max_messages) {
  const json::array* array = messages.if_array();
  if (array == nullptr) {
    return InvalidParamError("messages", fmt::format("'messages' must be an array, not {}",
                                                     JsonKindName(messages)));
  }
  if (array->empty()) {
    return InvalidParamError("messages", "'messages' must hold at least one message");
  }
  if (array->size() > static_cast<size_t>(max_messages)) {
    return InvalidParamError("messages", fmt::format("'messages' holds {} messages; at most {}",
                                                     array->size(), max_messages));
  }
  std::vector<tokenizer::ChatMessage> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    TF_ASSIGN_OR_RETURN(tokenizer::ChatMessage message,
                        ParseMessage((*array)[i], fmt::format("messages[{}]", i)));
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace tokenfab::api
