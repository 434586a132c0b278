#include "batch_input.h"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "absl/container/flat_hash_set.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

// Why `text` (one line) is not a valid request for `endpoint`, or empty when it is one; on
// success `out` holds it.
std::pair<std::string, std::string> CheckLine(std::string_view text, std::string_view endpoint,
                                              BatchInputLine& out) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec)
    return {"invalid_json_line", fmt::format("This line is not valid JSON ({}).", ec.message())};
  const json::object* o = parsed.if_object();
  if (o == nullptr) return {"invalid_json_line", "This line is not a JSON object."};
  const json::value* id = o->if_contains("custom_id");
  if (id == nullptr || !id->is_string() || id->get_string().empty()) {
    return {"missing_required_parameter", "The line has no custom_id string."};
  }
  if (id->get_string().size() > 512) return {"invalid_custom_id", "custom_id is too long."};
  const json::value* method = o->if_contains("method");
  if (method == nullptr || !method->is_string() || method->get_string() != "POST") {
    return {"invalid_method", "method must be \"POST\"."};
  }
  const json::value* url = o->if_contains("url");
  if (url == nullptr || !url->is_string() || url->get_string() != endpoint) {
    return {"mismatched_url", fmt::format("url must be the batch's endpoint \"{}\".", endpoint)};
  }
  const json::value* body = o->if_contains("body");
  if (body == nullptr || !body->is_object()) {
    return {"missing_required_parameter", "The line has no body object."};
  }
  const json::value* model = body->get_object().if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    return {"missing_required_parameter", "The body has no model."};
  }
  if (const json::value* stream = body->get_object().if_contains("stream");
      stream && stream->is_bool() && stream->get_bool()) {
    return {"invalid_request", "Batch requests cannot stream."};
  }
  out.custom_id = std::string(id->get_string());
  out.body = json::serialize(*body);
  return {};
}

}  // namespace

BatchInput ParseBatchInput(std::string_view text, std::string_view endpoint, int64_t max_lines) {
  BatchInput input;
  absl::flat_hash_set<std::string> ids;
  int64_t number = 0;
  size_t dropped = 0;
  auto fail = [&](int64_t line, std::string code, std::string message) {
    if (input.errors.size() < kMaxReportedErrors) {
      input.errors.push_back({line, std::move(code), std::move(message)});
    } else {
      ++dropped;
    }
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    BatchInputLine parsed;
    parsed.line = number;
    auto [code, message] = CheckLine(line, endpoint, parsed);
    if (!code.empty()) {
      fail(number, std::move(code), std::move(message));
      continue;
    }
    if (!ids.insert(parsed.custom_id).second) {
      fail(number, "duplicate_custom_id",
           fmt::format("custom_id \"{}\" is used by an earlier line.", parsed.custom_id));
      continue;
    }
    input.lines.push_back(std::move(parsed));
  }
  if (dropped > 0) {
    input.errors.push_back(
        {0, "too_many_errors", fmt::format("{} more lines have errors.", dropped)});
  }
  if (static_cast<int64_t>(input.lines.size()) > max_lines) {
    input.errors.push_back({0, "too_many_requests",
                            fmt::format("The file has {} requests; a batch takes at most {}.",
                                        input.lines.size(), max_lines)});
  }
  if (input.lines.empty() && input.errors.empty()) {
    input.errors.push_back({0, "empty_file", "The input file has no requests."});
  }
  return input;
}

}  // namespace tokenfab::gateway
