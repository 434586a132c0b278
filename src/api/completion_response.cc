#include "tokenfab/api/completion_response.h"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::api {
namespace {

namespace json = boost::json;

// Length of the valid UTF-8 character at the start of `s`, or 0 when it does not start one.
size_t ValidCharLength(std::string_view s) {
  const tokenizer::Utf8Char c = tokenizer::DecodeUtf8(s, 0);
  return c.codepoint == tokenizer::kInvalidCodepoint ? 0 : c.length;
}

json::object UsageObject(const Usage& usage) {
  json::object out;
  out["prompt_tokens"] = usage.prompt_tokens;
  out["completion_tokens"] = usage.completion_tokens;
  out["total_tokens"] = usage.prompt_tokens + usage.completion_tokens;
  out["prompt_tokens_details"] = json::object{{"cached_tokens", usage.cached_tokens}};
  return out;
}

json::array Bytes(std::string_view token) {
  json::array bytes;
  bytes.reserve(token.size());
  for (char c : token) bytes.emplace_back(static_cast<int64_t>(static_cast<unsigned char>(c)));
  return bytes;
}

// Chat: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}], "refusal": null}.
json::value ChatLogprobs(const std::vector<LogprobEntry>& entries) {
  json::array content;
  content.reserve(entries.size());
  for (const LogprobEntry& e : entries) {
    json::array top;
    for (const TopLogprob& t : e.top) {
      top.push_back(json::object{
          {"token", ValidUtf8(t.token)}, {"logprob", t.logprob}, {"bytes", Bytes(t.token)}});
    }
    content.push_back(json::object{{"token", ValidUtf8(e.token)},
                                   {"logprob", e.logprob},
                                   {"bytes", Bytes(e.token)},
                                   {"top_logprobs", std::move(top)}});
  }
  return json::object{{"content", std::move(content)}, {"refusal", nullptr}};
}

// Completions: {"tokens", "token_logprobs", "top_logprobs": [{text: logprob}], "text_offset"}.
json::value CompletionLogprobs(const std::vector<LogprobEntry>& entries) {
  json::array tokens, token_logprobs, top_logprobs, text_offset;
  for (const LogprobEntry& e : entries) {
    tokens.emplace_back(ValidUtf8(e.token));
    token_logprobs.emplace_back(e.logprob);
    json::object top;
    for (const TopLogprob& t : e.top) top[ValidUtf8(t.token)] = t.logprob;
    top_logprobs.emplace_back(std::move(top));
    text_offset.emplace_back(e.text_offset);
  }
  return json::object{{"tokens", std::move(tokens)},
                      {"token_logprobs", std::move(token_logprobs)},
                      {"top_logprobs", std::move(top_logprobs)},
                      {"text_offset", std::move(text_offset)}};
}

json::value Logprobs(Endpoint endpoint, const std::vector<LogprobEntry>* entries) {
  if (entries == nullptr) return nullptr;
  return endpoint == Endpoint::kChatCompletions ? ChatLogprobs(*entries)
                                                : CompletionLogprobs(*entries);
}

json::value FinishReason(std::string_view reason) {
  if (reason.empty()) return nullptr;
  return json::value(json::string_view(reason.data(), reason.size()));
}

json::object Header(const ResponseMeta& meta, std::string_view object) {
  json::object out;
  out["id"] = meta.id;
  out["object"] = json::string_view(object.data(), object.size());
  out["created"] = meta.created;
  out["model"] = meta.model;
  return out;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = ValidCharLength(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      text.remove_prefix(1);
    } else {
      out.append(text.data(), n);
      text.remove_prefix(n);
    }
  }
  return out;
}

std::string MakeResponseId(Endpoint endpoint, uint64_t random_bits, uint64_t more_bits) {
  return fmt::format("{}-{:016x}{:08x}",
                     endpoint == Endpoint::kChatCompletions ? "chatcmpl" : "cmpl", random_bits,
                     static_cast<uint32_t>(more_bits));
}

std::string CompletionResponseJson(const ResponseMeta& meta,
                                   const std::vector<ChoiceResult>& choices, const Usage& usage) {
  const bool chat = meta.endpoint == Endpoint::kChatCompletions;
  json::object out = Header(meta, chat ? "chat.completion" : "text_completion");
  json::array array;
  array.reserve(choices.size());
  for (const ChoiceResult& choice : choices) {
    json::object c;
    c["index"] = choice.index;
    if (chat) {
      c["message"] = json::object{{"role", "assistant"}, {"content", ValidUtf8(choice.text)}};
    } else {
      c["text"] = ValidUtf8(choice.text);
    }
    c["logprobs"] =
        Logprobs(meta.endpoint, choice.logprobs.has_value() ? &*choice.logprobs : nullptr);
    c["finish_reason"] = FinishReason(choice.finish_reason);
    array.push_back(std::move(c));
  }
  out["choices"] = std::move(array);
  out["usage"] = UsageObject(usage);
  return json::serialize(out);
}

std::string StreamChunkFormatter::Chunk(const ChoiceDelta& delta) const {
  const bool chat = meta_.endpoint == Endpoint::kChatCompletions;
  json::object out = Header(meta_, chat ? "chat.completion.chunk" : "text_completion");
  json::object c;
  c["index"] = delta.index;
  if (chat) {
    json::object d;
    if (delta.first) d["role"] = "assistant";
    // The closing chunk of a choice carries an empty delta, as OpenAI's does.
    if (!delta.text.empty() || delta.finish_reason.empty()) d["content"] = ValidUtf8(delta.text);
    c["delta"] = std::move(d);
  } else {
    c["text"] = ValidUtf8(delta.text);
  }
  c["logprobs"] = Logprobs(meta_.endpoint, delta.logprobs);
  c["finish_reason"] = FinishReason(delta.finish_reason);
  out["choices"] = json::array{std::move(c)};
  if (include_usage_) out["usage"] = nullptr;
  return json::serialize(out);
}

std::string StreamChunkFormatter::UsageChunk(const Usage& usage) const {
  const bool chat = meta_.endpoint == Endpoint::kChatCompletions;
  json::object out = Header(meta_, chat ? "chat.completion.chunk" : "text_completion");
  out["choices"] = json::array{};
  out["usage"] = UsageObject(usage);
  return json::serialize(out);
}

}  // namespace tokenfab::api
