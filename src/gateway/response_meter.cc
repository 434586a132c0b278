#include "response_meter.h"

#include <algorithm>

#include <boost/json.hpp>

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

int64_t Count(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return 0;
  // Upstream data: clamped into [0, 2^62] before any conversion (casting 1e300 is undefined).
  constexpr int64_t kMax = int64_t{1} << 62;
  if (v->is_int64()) return std::clamp<int64_t>(v->get_int64(), 0, kMax);
  if (v->is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(v->get_uint64(), kMax));
  if (v->is_double()) {
    const double d = v->get_double();
    if (!(d > 0)) return 0;  // NaN too
    return d >= static_cast<double>(kMax) ? kMax : static_cast<int64_t>(d);
  }
  return 0;
}

void AppendString(const json::object& o, std::string_view key, std::string& out, bool& any) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v != nullptr && v->is_string() && !v->get_string().empty()) {
    out.append(v->get_string().data(), v->get_string().size());
    any = true;
  }
}

}  // namespace

ResponseMeter::Seen ResponseMeter::Read(std::string_view text, bool whole) {
  Seen seen;
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !parsed.is_object()) return seen;
  const json::object& o = parsed.get_object();
  if (const json::value* error = o.if_contains("error"); error && !error->is_null()) {
    std::string message = "upstream error";
    if (error->is_object()) {
      if (const json::value* m = error->get_object().if_contains("message"); m && m->is_string()) {
        message = std::string(m->get_string());
      }
    } else if (error->is_string()) {
      message = std::string(error->get_string());
    }
    error_ = std::move(message);
  }
  if (const json::value* usage = o.if_contains("usage"); usage && usage->is_object()) {
    const json::object& u = usage->get_object();
    ReportedUsage reported;
    reported.prompt_tokens = Count(u, "prompt_tokens");
    reported.completion_tokens = Count(u, "completion_tokens");
    if (const json::value* details = u.if_contains("prompt_tokens_details");
        details && details->is_object()) {
      reported.cached_tokens =
          std::min(reported.prompt_tokens, Count(details->get_object(), "cached_tokens"));
    }
    usage_ = reported;
    seen.usage = true;
  }
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return seen;
  if (choices->get_array().empty()) {
    seen.usage_only = o.contains("usage");
    return seen;
  }
  for (const json::value& c : choices->get_array()) {
    if (!c.is_object()) continue;
    const json::object& choice = c.get_object();
    if (endpoint_ == api::Endpoint::kCompletions) {
      AppendString(choice, "text", text_, seen.content);
    } else {
      const json::value* part = choice.if_contains(whole ? "message" : "delta");
      if (part != nullptr && part->is_object()) {
        AppendString(part->get_object(), "reasoning_content", text_, seen.content);
        AppendString(part->get_object(), "content", text_, seen.content);
      }
    }
    if (const json::value* finish = choice.if_contains("finish_reason");
        finish && finish->is_string() && !finish_reason_) {
      finish_reason_ = std::string(finish->get_string());
    }
  }
  return seen;
}

ResponseMeter::Action ResponseMeter::OnEvent(std::string_view data, int64_t now_micros) {
  if (data == "[DONE]") {
    saw_done_ = true;
    return Action::kDone;
  }
  const Seen seen = Read(data, /*whole=*/false);
  if (seen.content) {
    ++content_events_;
    if (first_content_micros_ == 0) first_content_micros_ = now_micros;
    last_content_micros_ = now_micros;
  }
  if (seen.usage && !client_wants_usage_) {
    return seen.usage_only ? Action::kDrop : Action::kStripUsage;
  }
  return Action::kForward;
}

std::string ResponseMeter::WithoutUsage(std::string_view data) {
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(data.data(), data.size()), ec);
  if (ec || !parsed.is_object()) return std::string(data);
  parsed.get_object().erase("usage");
  return json::serialize(parsed);
}

void ResponseMeter::OnBody(std::string_view body, int64_t now_micros) {
  const Seen seen = Read(body, /*whole=*/true);
  if (seen.content) {
    content_events_ = 1;
    first_content_micros_ = last_content_micros_ = now_micros;
  }
}

}  // namespace tokenfab::gateway
