#include "inference_request.h"

#include <fmt/format.h>

#include "tokenfab/api/api_error.h"
#include "tokenfab/api/numeric_fields.h"

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
        const std::string param = fmt::format("messages[{}].content", index);
        return api::InvalidParamError(param,
                                      fmt::format("{}: a content part must be an object", param));
      }
      const json::value* t = part.get_object().if_contains("text");
      if (t != nullptr && t->is_string()) text += ToString(t->get_string());
    }
    return std::optional<std::string>(std::move(text));
  }
  const std::string param = fmt::format("messages[{}].content", index);
  return api::InvalidParamError(param,
                                fmt::format("{} must be a string or an array of parts", param));
}

Status ReadMessages(const json::object& body, InferenceRequest& out) {
  const json::value* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array() || messages->get_array().empty()) {
    return api::InvalidParamError("messages", "'messages' must be a non-empty array");
  }
  size_t index = 0;
  for (const json::value& m : messages->get_array()) {
    if (!m.is_object()) {
      const std::string param = fmt::format("messages[{}]", index);
      return api::InvalidParamError(param, fmt::format("{} must be an object", param));
    }
    const json::object& message = m.get_object();
    const json::value* role = message.if_contains("role");
    if (role == nullptr || !role->is_string()) {
      const std::string param = fmt::format("messages[{}].role", index);
      return api::InvalidParamError(param, fmt::format("{} must be a string", param));
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

// One prompt given as token ids: each an integer in [0, 2^31).
Status ReadTokenIds(const json::array& ids, const std::string& path, InferenceRequest& out) {
  if (ids.empty()) return api::InvalidParamError(path, fmt::format("'{}' must not be empty", path));
  for (const json::value& item : ids) {
    int64_t id = -1;
    if (item.is_int64()) {
      id = item.get_int64();
    } else if (item.is_uint64() && item.get_uint64() <= INT32_MAX) {
      id = static_cast<int64_t>(item.get_uint64());
    }
    if (id < 0 || id > INT32_MAX) {
      return api::InvalidParamError(
          path, fmt::format("'{}' must hold token ids (integers in [0, {}])", path, INT32_MAX));
    }
    out.prompt_ids.push_back(static_cast<int32_t>(id));
  }
  return absl::OkStatus();
}

// `prompt`: a string, an array of token ids, or an array of strings and token-id arrays (one
// prompt each), as the node reads it.
Status ReadPrompt(const json::object& body, InferenceRequest& out) {
  const json::value* prompt = body.if_contains("prompt");
  if (prompt == nullptr || prompt->is_null()) {
    return api::InvalidParamError("prompt", "'prompt' is required");
  }
  constexpr std::string_view kShape =
      "'prompt' must be a string, an array of token ids or an array of prompts";
  if (prompt->is_string()) {
    out.prompts.push_back(ToString(prompt->get_string()));
  } else if (const json::array* array = prompt->if_array()) {
    if (array->empty()) return api::InvalidParamError("prompt", "'prompt' must not be empty");
    if (array->front().is_number()) {
      TF_RETURN_IF_ERROR(ReadTokenIds(*array, "prompt", out));
    } else {
      for (size_t i = 0; i < array->size(); ++i) {
        const json::value& item = (*array)[i];
        const std::string path = fmt::format("prompt[{}]", i);
        if (item.is_string()) {
          out.prompts.push_back(ToString(item.get_string()));
        } else if (const json::array* ids = item.if_array()) {
          TF_RETURN_IF_ERROR(ReadTokenIds(*ids, path, out));
        } else {
          return api::InvalidParamError(
              path, fmt::format("'{}' must be a string or an array of token ids", path));
        }
      }
      out.prompt_count = static_cast<int64_t>(array->size());
    }
  } else {
    return api::InvalidParamError("prompt", kShape);
  }
  for (const std::string& p : out.prompts) out.prompt_bytes += p.size();
  return absl::OkStatus();
}

// An integer field that CheckNumericFields has already found integral and in range.
int64_t CheckedInteger(const json::object& body, std::string_view key, int64_t fallback) {
  const json::value* v = body.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return static_cast<int64_t>(v->get_double());
}

// max_completion_tokens wins over max_tokens (chat), as on the node.
void ReadMaxTokens(const json::object& body, InferenceRequest& out) {
  for (std::string_view field : {"max_completion_tokens", "max_tokens"}) {
    if (field == "max_completion_tokens" && out.endpoint != api::Endpoint::kChatCompletions) {
      continue;
    }
    const int64_t value = CheckedInteger(body, field, 0);
    if (value > 0) {
      out.max_tokens = value;
      out.max_tokens_field = std::string(field);
      return;
    }
  }
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
  TF_RETURN_IF_ERROR(api::CheckNumericFields(endpoint, o));
  const json::value* model = o.if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    return api::InvalidParamError("model", "'model' is required");
  }
  out.model = ToString(model->get_string());
  if (const json::value* stream = o.if_contains("stream")) {
    out.stream = stream->is_bool() && stream->get_bool();  // a boolean: checked above
  }
  if (const json::value* so = o.if_contains("stream_options"); so && so->is_object()) {
    const json::value* usage = so->get_object().if_contains("include_usage");
    out.client_wants_usage = usage != nullptr && usage->is_bool() && usage->get_bool();
  }
  ReadMaxTokens(o, out);
  out.n = CheckedInteger(o, "n", 1);
  if (const json::value* tier = o.if_contains("service_tier"); tier && !tier->is_null()) {
    const json::string* name = tier->if_string();
    if (name == nullptr ||
        (*name != "auto" && *name != "default" && *name != "flex" && *name != "priority")) {
      return api::InvalidParamError(
          "service_tier", "'service_tier' must be one of 'auto', 'default', 'flex' or 'priority'");
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
