#include "tokenfab/api/completion_request.h"

#include <limits>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "chat_messages.h"
#include "json_fields.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/numeric_fields.h"

namespace tokenfab::api {
namespace {

namespace json = boost::json;

constexpr double kFloatMax = std::numeric_limits<float>::max();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

Status Unsupported(std::string_view param, std::string_view what) {
  return InvalidParamError(param, fmt::format("{} is not supported by this server", what));
}

// One token-id array: each an integer in [0, 2^31).
StatusOr<std::vector<int32_t>> ParseTokenIds(const json::array& array, const std::string& path) {
  if (array.empty()) return InvalidParamError(path, fmt::format("'{}' must not be empty", path));
  std::vector<int32_t> ids;
  ids.reserve(array.size());
  for (const json::value& v : array) {
    std::optional<int64_t> id = JsonInteger(v);
    if (!id.has_value() || *id < 0 || *id > kInt32Max) {
      return InvalidParamError(
          path, fmt::format("'{}' must hold token ids (integers >= 0); found {}", path,
                            v.is_number() ? json::serialize(v) : std::string(JsonKindName(v))));
    }
    ids.push_back(static_cast<int32_t>(*id));
  }
  return ids;
}

// `prompt`: a string, an array of token ids, or an array of strings and token-id arrays.
StatusOr<std::vector<PromptInput>> ParsePrompts(const JsonFields& fields) {
  const json::value* prompt = fields.Find("prompt");
  if (prompt == nullptr) return InvalidParamError("prompt", "'prompt' is required");
  std::vector<PromptInput> prompts;
  if (const json::string* s = prompt->if_string()) {
    prompts.push_back(PromptInput{false, std::string(*s), {}});
    return prompts;
  }
  const json::array* array = prompt->if_array();
  if (array == nullptr) {
    return fields.TypeError("prompt", "a string, an array of token ids or an array of prompts");
  }
  if (array->empty()) return InvalidParamError("prompt", "'prompt' must not be empty");
  if (array->front().is_number()) {  // one prompt as token ids
    TF_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ParseTokenIds(*array, "prompt"));
    prompts.push_back(PromptInput{true, {}, std::move(ids)});
    return prompts;
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const json::value& item = (*array)[i];
    const std::string path = fmt::format("prompt[{}]", i);
    if (const json::string* s = item.if_string()) {
      prompts.push_back(PromptInput{false, std::string(*s), {}});
    } else if (const json::array* ids = item.if_array()) {
      TF_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, ParseTokenIds(*ids, path));
      prompts.push_back(PromptInput{true, {}, std::move(tokens)});
    } else {
      return InvalidParamError(
          path, fmt::format("'{}' must be a string or an array of token ids, not {}", path,
                            JsonKindName(item)));
    }
  }
  return prompts;
}

// `stop`: a string or an array of strings; empty strings are dropped.
Status ParseStop(const JsonFields& fields, const RequestLimits& limits,
                 std::vector<std::string>* out) {
  const json::value* stop = fields.Find("stop");
  if (stop == nullptr) return absl::OkStatus();
  std::vector<const json::string*> strings;
  if (const json::string* s = stop->if_string()) {
    strings.push_back(s);
  } else if (const json::array* array = stop->if_array()) {
    for (const json::value& v : *array) {
      if (!v.is_string()) {
        return InvalidParamError("stop",
                                 fmt::format("'stop' must hold strings, not {}", JsonKindName(v)));
      }
      strings.push_back(&v.get_string());
    }
  } else {
    return fields.TypeError("stop", "a string or an array of strings");
  }
  if (strings.size() > static_cast<size_t>(limits.max_stop)) {
    return InvalidParamError("stop", fmt::format("'stop' holds {} strings; at most {}",
                                                 strings.size(), limits.max_stop));
  }
  for (const json::string* s : strings) {
    if (s->size() > static_cast<size_t>(limits.max_stop_bytes)) {
      return InvalidParamError("stop", fmt::format("a 'stop' string is {} bytes; at most {}",
                                                   s->size(), limits.max_stop_bytes));
    }
    if (!s->empty()) out->emplace_back(s->data(), s->size());
  }
  return absl::OkStatus();
}

Status ParseStopTokenIds(const JsonFields& fields, std::vector<engine::Token>* out) {
  const json::value* ids = fields.Find("stop_token_ids");
  if (ids == nullptr) return absl::OkStatus();
  const json::array* array = ids->if_array();
  if (array == nullptr) return fields.TypeError("stop_token_ids", "an array of token ids");
  if (array->empty()) return absl::OkStatus();
  TF_ASSIGN_OR_RETURN(*out, ParseTokenIds(*array, "stop_token_ids"));
  return absl::OkStatus();
}

// Temperature, truncation, penalties and seed (both endpoints).
Status ParseSampling(const JsonFields& fields, engine::SamplingParams& s) {
  TF_RETURN_IF_ERROR(fields.Float("temperature", 0, kFloatMax, &s.temperature));
  TF_RETURN_IF_ERROR(fields.Float("top_p", 0, 1, &s.top_p));
  if (s.top_p <= 0) return InvalidParamError("top_p", "'top_p' must be in (0, 1], got 0");
  int32_t top_k = 0;
  TF_RETURN_IF_ERROR(fields.Int32("top_k", -1, kInt32Max, &top_k));
  s.top_k = top_k < 0 ? 0 : top_k;  // -1: all tokens (vLLM)
  TF_RETURN_IF_ERROR(fields.Float("min_p", 0, 1, &s.min_p));
  TF_RETURN_IF_ERROR(fields.Float("presence_penalty", -2, 2, &s.presence_penalty));
  TF_RETURN_IF_ERROR(fields.Float("frequency_penalty", -2, 2, &s.frequency_penalty));
  TF_RETURN_IF_ERROR(fields.Float("repetition_penalty", 0, kFloatMax, &s.repetition_penalty));
  if (s.repetition_penalty <= 0) {
    return InvalidParamError("repetition_penalty", "'repetition_penalty' must be > 0");
  }
  s.repetition_last_n = -1;  // vLLM's repetition penalty looks at the whole sequence
  if (fields.Find("seed") != nullptr) {
    int64_t seed = 0;
    TF_RETURN_IF_ERROR(fields.Int("seed", std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max(), &seed));
    s.seed = static_cast<uint64_t>(seed);
  }
  return absl::OkStatus();
}

// Fields that ask for something we do not do: a 400 rather than a silently different answer.
Status RejectUnsupported(const JsonFields& fields, const CompletionRequest& request) {
  if (const json::value* bias = fields.Find("logit_bias")) {
    if (!bias->is_object()) return fields.TypeError("logit_bias", "an object");
    if (!bias->get_object().empty()) return Unsupported("logit_bias", "'logit_bias'");
  }
  if (const json::value* format = fields.Find("response_format")) {
    if (!format->is_object()) return fields.TypeError("response_format", "an object");
    std::string type;
    TF_RETURN_IF_ERROR(JsonFields(format->get_object(), "response_format").String("type", &type));
    if (!type.empty() && type != "text") {
      return Unsupported("response_format", fmt::format("'response_format' of type '{}'", type));
    }
  }
  if (request.endpoint == Endpoint::kCompletions) {
    std::string suffix;
    TF_RETURN_IF_ERROR(fields.String("suffix", &suffix));
    if (!suffix.empty()) return Unsupported("suffix", "'suffix'");
    int32_t best_of = request.n;
    TF_RETURN_IF_ERROR(fields.Int32("best_of", 1, kInt32Max, &best_of));
    if (best_of != request.n) return Unsupported("best_of", "'best_of' other than n");
    if (request.echo && request.sampling.logprobs) {
      return Unsupported("echo", "'echo' together with 'logprobs' (prompt log-probabilities)");
    }
  }
  return absl::OkStatus();
}

Status ParseChatFields(const JsonFields& fields, const RequestLimits& limits,
                       CompletionRequest& request) {
  const json::value* messages = fields.Find("messages");
  if (messages == nullptr) return InvalidParamError("messages", "'messages' is required");
  TF_ASSIGN_OR_RETURN(request.chat.messages, ParseChatMessages(*messages, limits.max_messages));
  if (fields.Find("max_completion_tokens") != nullptr) {
    TF_RETURN_IF_ERROR(
        fields.Int32("max_completion_tokens", 1, kInt32Max, &request.sampling.max_tokens));
    request.max_tokens_given = true;
  }
  TF_RETURN_IF_ERROR(fields.Bool("logprobs", &request.sampling.logprobs));
  TF_RETURN_IF_ERROR(
      fields.Int32("top_logprobs", 0, engine::kMaxTopLogprobs, &request.sampling.top_logprobs));
  if (fields.Find("top_logprobs") != nullptr && !request.sampling.logprobs) {
    return InvalidParamError("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
  }
  if (const json::value* tools = fields.Find("tools")) {
    if (!tools->is_array()) return fields.TypeError("tools", "an array");
    if (!tools->get_array().empty()) request.chat.tools_json = json::serialize(*tools);
  }
  if (const json::value* kwargs = fields.Find("chat_template_kwargs")) {
    if (!kwargs->is_object()) return fields.TypeError("chat_template_kwargs", "an object");
    JsonFields kw(kwargs->get_object(), "chat_template_kwargs");
    if (kw.Find("enable_thinking") != nullptr) {
      bool thinking = false;
      TF_RETURN_IF_ERROR(kw.Bool("enable_thinking", &thinking));
      request.chat.enable_thinking = thinking;
    }
    if (!kwargs->get_object().empty()) request.chat.extra_context_json = json::serialize(*kwargs);
  }
  return absl::OkStatus();
}

Status ParseCompletionFields(const JsonFields& fields, CompletionRequest& request) {
  TF_ASSIGN_OR_RETURN(request.prompts, ParsePrompts(fields));
  if (fields.Find("logprobs") != nullptr) {
    if (fields.Find("logprobs")->is_bool()) {
      return fields.TypeError("logprobs", "an integer (alternatives per token, 0 to 20)");
    }
    TF_RETURN_IF_ERROR(
        fields.Int32("logprobs", 0, engine::kMaxTopLogprobs, &request.sampling.top_logprobs));
    request.sampling.logprobs = true;
  }
  TF_RETURN_IF_ERROR(fields.Bool("echo", &request.echo));
  return absl::OkStatus();
}

Status ParseStreamOptions(const JsonFields& fields, CompletionRequest& request) {
  TF_RETURN_IF_ERROR(fields.Bool("stream", &request.stream));
  const json::value* options = fields.Find("stream_options");
  if (options == nullptr) return absl::OkStatus();
  if (!options->is_object()) return fields.TypeError("stream_options", "an object");
  return JsonFields(options->get_object(), "stream_options")
      .Bool("include_usage", &request.include_usage);
}

Status ParseFields(const JsonFields& fields, const RequestLimits& limits,
                   CompletionRequest& request) {
  TF_RETURN_IF_ERROR(fields.String("model", &request.model));
  TF_RETURN_IF_ERROR(ParseStreamOptions(fields, request));
  engine::SamplingParams& sampling = request.sampling;
  sampling.max_tokens = request.endpoint == Endpoint::kCompletions ? kDefaultCompletionMaxTokens
                                                                   : CompletionRequest::kNoLimit;
  if (fields.Find("max_tokens") != nullptr) {
    TF_RETURN_IF_ERROR(fields.Int32("max_tokens", 1, kInt32Max, &sampling.max_tokens));
    request.max_tokens_given = true;
  }
  TF_RETURN_IF_ERROR(ParseSampling(fields, sampling));
  TF_RETURN_IF_ERROR(ParseStop(fields, limits, &sampling.stop_strings));
  TF_RETURN_IF_ERROR(ParseStopTokenIds(fields, &sampling.stop_token_ids));
  TF_RETURN_IF_ERROR(fields.Int32("n", 1, limits.max_n, &request.n));
  TF_RETURN_IF_ERROR(fields.String("user", &request.user));
  TF_RETURN_IF_ERROR(fields.Bool("ignore_eos", &request.ignore_eos));
  TF_RETURN_IF_ERROR(fields.Int32("min_tokens", 0, kInt32Max, &request.min_tokens));
  if (request.endpoint == Endpoint::kChatCompletions) {
    TF_RETURN_IF_ERROR(ParseChatFields(fields, limits, request));
  } else {
    TF_RETURN_IF_ERROR(ParseCompletionFields(fields, request));
  }
  if (request.max_tokens_given && request.min_tokens > sampling.max_tokens) {
    return InvalidParamError("min_tokens",
                             fmt::format("'min_tokens' ({}) must not exceed 'max_tokens' ({})",
                                         request.min_tokens, sampling.max_tokens));
  }
  if (request.num_choices() > limits.max_choices) {
    return InvalidParamError("n", fmt::format("'n' times the prompts makes {} choices; at most {}",
                                              request.num_choices(), limits.max_choices));
  }
  return RejectUnsupported(fields, request);
}

}  // namespace

int32_t CompletionRequest::num_choices() const {
  if (endpoint == Endpoint::kChatCompletions) return n;
  return static_cast<int32_t>(prompts.size()) * n;
}

StatusOr<CompletionRequest> ParseCompletionRequest(Endpoint endpoint, std::string_view body,
                                                   const RequestLimits& limits) {
  json::parse_options options;
  options.max_depth = static_cast<size_t>(limits.max_json_depth);
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(body.data(), body.size()), ec, {}, options);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("the request body is not valid JSON: {}", ec.message()));
  }
  const json::object* object = root.if_object();
  if (object == nullptr) {
    return absl::InvalidArgumentError(
        fmt::format("the request body must be a JSON object, not {}", JsonKindName(root)));
  }
  CompletionRequest request;
  request.endpoint = endpoint;
  TF_RETURN_IF_ERROR(CheckNumericFields(endpoint, *object));
  TF_RETURN_IF_ERROR(ParseFields(JsonFields(*object), limits, request));
  if (Status status = request.sampling.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(status.message());
  }
  return request;
}

}  // namespace tokenfab::api
