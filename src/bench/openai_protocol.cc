#include "tokenfab/bench/openai_protocol.h"

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tokenfab::bench {
namespace {

namespace json = boost::json;

std::optional<int64_t> IntMember(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64()) return static_cast<int64_t>(value->as_uint64());
  if (value->is_double()) return static_cast<int64_t>(value->as_double());
  return std::nullopt;
}

bool NonEmptyString(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() && !value->as_string().empty();
}

}  // namespace

struct RequestBodyBuilder::Impl {
  RequestBodyOptions options;
  json::object extra;

  std::string Finish(json::object body, int max_tokens) const {
    body["model"] = options.model;
    body["max_tokens"] = max_tokens;
    body["stream"] = true;
    if (options.include_usage) body["stream_options"] = json::object{{"include_usage", true}};
    if (options.ignore_eos) {
      body["ignore_eos"] = true;
      body["min_tokens"] = max_tokens;
    }
    for (const auto& member : extra) body[member.key()] = member.value();
    return json::serialize(body);
  }
};

StatusOr<RequestBodyBuilder> RequestBodyBuilder::Create(RequestBodyOptions options) {
  auto impl = std::make_unique<Impl>();
  if (!options.extra_body_json.empty()) {
    boost::system::error_code ec;
    json::value extra = json::parse(options.extra_body_json, ec);
    if (ec || !extra.is_object()) {
      return absl::InvalidArgumentError(
          fmt::format("extra body '{}' is not a JSON object", options.extra_body_json));
    }
    impl->extra = std::move(extra.as_object());
  }
  impl->options = std::move(options);
  return RequestBodyBuilder(std::move(impl));
}

RequestBodyBuilder::RequestBodyBuilder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RequestBodyBuilder::~RequestBodyBuilder() = default;
RequestBodyBuilder::RequestBodyBuilder(RequestBodyBuilder&&) noexcept = default;
RequestBodyBuilder& RequestBodyBuilder::operator=(RequestBodyBuilder&&) noexcept = default;

const RequestBodyOptions& RequestBodyBuilder::options() const { return impl_->options; }

std::string RequestBodyBuilder::Build(std::string_view prompt, int max_tokens) const {
  json::object body;
  if (impl_->options.endpoint == api::Endpoint::kChatCompletions) {
    body["messages"] = json::array{json::object{{"role", "user"}, {"content", prompt}}};
  } else {
    body["prompt"] = prompt;
  }
  return impl_->Finish(std::move(body), max_tokens);
}

std::string RequestBodyBuilder::Build(const std::vector<int32_t>& prompt, int max_tokens) const {
  json::object body;
  json::array ids;
  ids.reserve(prompt.size());
  for (int32_t id : prompt) ids.emplace_back(id);
  body["prompt"] = std::move(ids);
  return impl_->Finish(std::move(body), max_tokens);
}

StatusOr<StreamChunk> ParseStreamChunk(std::string_view data, api::Endpoint endpoint) {
  StreamChunk chunk;
  while (!data.empty() && (data.back() == ' ' || data.back() == '\r')) data.remove_suffix(1);
  if (data == "[DONE]") {
    chunk.done = true;
    return chunk;
  }
  boost::system::error_code ec;
  const json::value value = json::parse(data, ec);
  if (ec || !value.is_object()) {
    return absl::DataLossError(fmt::format("stream event is not JSON: '{}'", data.substr(0, 200)));
  }
  const json::object& object = value.as_object();
  if (const json::value* error = object.if_contains("error");
      error != nullptr && !error->is_null()) {
    std::string message = "error event";
    if (error->is_object()) {
      if (const json::value* m = error->as_object().if_contains("message"); m && m->is_string()) {
        message = std::string(m->as_string());
      }
    } else if (error->is_string()) {
      message = std::string(error->as_string());
    }
    chunk.error = std::move(message);
  }
  if (const json::value* usage = object.if_contains("usage"); usage && usage->is_object()) {
    chunk.prompt_tokens = IntMember(usage->as_object(), "prompt_tokens");
    chunk.completion_tokens = IntMember(usage->as_object(), "completion_tokens");
    if (const json::value* details = usage->as_object().if_contains("prompt_tokens_details");
        details != nullptr && details->is_object()) {
      chunk.cached_tokens = IntMember(details->as_object(), "cached_tokens");
    }
  }
  const json::value* choices = object.if_contains("choices");
  if (choices != nullptr && choices->is_array() && !choices->as_array().empty() &&
      choices->as_array()[0].is_object()) {
    const json::object& choice = choices->as_array()[0].as_object();
    if (endpoint == api::Endpoint::kCompletions) {
      chunk.content = NonEmptyString(choice, "text");
    } else if (const json::value* delta = choice.if_contains("delta");
               delta && delta->is_object()) {
      chunk.content = NonEmptyString(delta->as_object(), "content") ||
                      NonEmptyString(delta->as_object(), "reasoning_content") ||
                      NonEmptyString(delta->as_object(), "reasoning");
    }
    if (const json::value* reason = choice.if_contains("finish_reason");
        reason && reason->is_string()) {
      chunk.finish_reason = std::string(reason->as_string());
    }
  }
  return chunk;
}

}  // namespace tokenfab::bench
