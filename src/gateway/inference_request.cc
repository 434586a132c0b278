#include "inference_request.h"

#include <fmt/format.h>

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

std::string ToString(json::string_view s) { return std::string(s.data(), s.size()); }

// A message's content: a string, null, or an array of parts whose "text" members are joined.
StatusOr<std::optional<std::string>> ContentText(const json::value& content, size_t index) {
  if (content.is_null()) return std::optional<std::string>();
  if (content.is_string()) return std::optional<std::string>(ToString(content.get_string()));
  if (content.is_array()) {
    std::string text;
    for (const json::value& part : content.get_array()) {
      if (!part.is_object()) {
        return absl::InvalidArgumentError(
            fmt::format("messages[{}].content: a content part must be an object", index));
      }
      const json::value* t = part.get_object().if_contains("text");
      if (t != nullptr && t->is_string()) text += ToString(t->get_string());
    }
    return std::optional<std::string>(std::move(text));
  }
  return absl::InvalidArgumentError(
      fmt::format("messages[{}].content must be a string or an array of parts", index));
}

Status ReadMessages(const json::object& body, InferenceRequest& out) {
  const json::value* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array() || messages->get_array().empty()) {
    return absl::InvalidArgumentError("'messages' must be a non-empty array");
  }
  size_t index = 0;
  for (const json::value& m : messages->get_array()) {
    if (!m.is_object()) {
      return absl::InvalidArgumentError(fmt::format("messages[{}] must be an object", index));
    }
    const json::object& message = m.get_object();
    const json::value* role = message.if_contains("role");
    if (role == nullptr || !role->is_string()) {
      return absl::InvalidArgumentError(fmt::format("messages[{}].role must be a string", index));
    }
    tokenizer::ChatMessage chat;
    chat.role = ToString(role->get_string());
    if (const json::value* content = message.if_contains("content")) {
      TF_ASSIGN_OR_RETURN(chat.content, ContentText(*content, index));
    }
    if (const json::value* name = message.if_contains("name"); name && name->is_string()) {
      chat.name = ToString(name->get_string());
    }
    if (chat.content) out.prompt_bytes += chat.content->size();
    out.messages.push_back(std::move(chat));
    ++index;
  }
  return absl::OkStatus();
}

Status ReadPrompt(const json::object& body, InferenceRequest& out) {
  const json::value* prompt = body.if_contains("prompt");
  if (prompt == nullptr) return absl::InvalidArgumentError("'prompt' is required");
  if (prompt->is_string()) {
    out.prompts.push_back(ToString(prompt->get_string()));
  } else if (prompt->is_array()) {
    for (const json::value& item : prompt->get_array()) {
      if (item.is_string()) {
        out.prompts.push_back(ToString(item.get_string()));
      } else if (item.is_int64() || item.is_uint64()) {
        const int64_t id = item.is_int64() ? item.get_int64() : static_cast<int64_t>(item.get_uint64());
        if (id < 0 || id > INT32_MAX) return absl::InvalidArgumentError("bad token id in 'prompt'");
        out.prompt_ids.push_back(static_cast<int32_t>(id));
      } else {
        return absl::InvalidArgumentError(
            "'prompt' must be a string, an array of strings or an array of token ids");
      }
    }
    if (!out.prompts.empty() && !out.prompt_ids.empty()) {
      return absl::InvalidArgumentError("'prompt' mixes strings and token ids");
    }
  } else {
    return absl::InvalidArgumentError(
        "'prompt' must be a string, an array of strings or an array of token ids");
  }
  for (const std::string& p : out.prompts) out.prompt_bytes += p.size();
  return absl::OkStatus();
}

int64_t IntegerOr(const json::object& body, std::string_view key, int64_t fallback) {
  const json::value* v = body.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->get_double());
  return fallback;
}

}  // namespace

std::string InferenceRequest::PromptText() const {
  std::string text;
  text.reserve(prompt_bytes + messages.size() * 16);
  for (const tokenizer::ChatMessage& m : messages) {
    text += m.role;
    text += '\n';
    if (m.content) text += *m.content;
    text += '\n';
  }
  for (const std::string& p : prompts) text += p;
  return text;
}

StatusOr<InferenceRequest> ParseInferenceRequest(api::Endpoint endpoint, std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("the request body is not valid JSON: {}", ec.message()));
  }
  if (!parsed.is_object()) return absl::InvalidArgumentError("the request body must be an object");
  InferenceRequest out;
  out.endpoint = endpoint;
  out.body = std::move(parsed.get_object());
  const json::object& o = out.body;
  const json::value* model = o.if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    return absl::InvalidArgumentError("'model' is required");
  }
  out.model = ToString(model->get_string());
  if (const json::value* stream = o.if_contains("stream")) {
    if (!stream->is_bool() && !stream->is_null()) {
      return absl::InvalidArgumentError("'stream' must be a boolean");
    }
    out.stream = stream->is_bool() && stream->get_bool();
  }
  if (const json::value* so = o.if_contains("stream_options"); so && so->is_object()) {
    const json::value* usage = so->get_object().if_contains("include_usage");
    out.client_wants_usage = usage != nullptr && usage->is_bool() && usage->get_bool();
  }
  out.max_tokens = IntegerOr(o, "max_completion_tokens", IntegerOr(o, "max_tokens", 0));
  if (out.max_tokens < 0) return absl::InvalidArgumentError("'max_tokens' must be positive");
  if (const json::value* tier = o.if_contains("service_tier"); tier && !tier->is_null()) {
    const json::string* name = tier->if_string();
    if (name == nullptr ||
        (*name != "auto" && *name != "default" && *name != "flex" && *name != "priority")) {
      return absl::InvalidArgumentError(
          "'service_tier' must be one of 'auto', 'default', 'flex' or 'priority'");
    }
    out.service_tier = std::string(*name);
  }
  if (endpoint == api::Endpoint::kChatCompletions) {
    TF_RETURN_IF_ERROR(ReadMessages(o, out));
  } else {
    TF_RETURN_IF_ERROR(ReadPrompt(o, out));
  }
  return out;
}

std::string UpstreamBody(const InferenceRequest& request, fleet::UpstreamKind kind) {
  json::object body = request.body;
  if (request.stream) {
    json::value& options = body["stream_options"];
    if (!options.is_object()) options = json::object();
    options.get_object()["include_usage"] = true;
  }
  if (kind == fleet::UpstreamKind::kLlamaCpp && !body.contains("cache_prompt")) {
    body["cache_prompt"] = true;
  }
  return json::serialize(body);
}

}  // namespace tokenfab::gateway
