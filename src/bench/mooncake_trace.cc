// The Mooncake trace: JSON Lines, one request per line:
//   {"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, ...]}
// timestamp in ms from the start; one hash id per 512-token prompt block
// (len(hash_ids) == ceil(input_length / 512)).
#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "tokenfab/bench/trace.h"

namespace tokenfab::bench {
namespace {

namespace json = boost::json;

// An integer field (a JSON number without a fraction); false when missing or not one.
bool IntField(const json::object& object, std::string_view name, int64_t& out) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return false;
  if (value->is_int64()) {
    out = value->as_int64();
    return true;
  }
  if (value->is_uint64() && value->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    out = static_cast<int64_t>(value->as_uint64());
    return true;
  }
  if (value->is_double()) {
    const double d = value->as_double();
    if (d != static_cast<double>(static_cast<int64_t>(d))) return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

}  // namespace

StatusOr<std::vector<TraceRequest>> ParseMooncakeTrace(std::string_view text,
                                                       std::string_view source) {
  std::vector<TraceRequest> requests;
  int64_t first_ms = 0;
  int64_t previous_ms = 0;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    auto error = [&](std::string_view problem) {
      const std::string_view shown = line.substr(0, 120);
      return absl::InvalidArgumentError(fmt::format("{}:{}: {} in Mooncake trace row '{}{}'",
                                                    source, line_number, problem, shown,
                                                    shown.size() < line.size() ? "..." : ""));
    };
    boost::system::error_code ec;
    const json::value value = json::parse(line, ec);
    if (ec) return error(fmt::format("invalid JSON ({})", ec.message()));
    if (!value.is_object()) return error("not a JSON object");
    const json::object& object = value.as_object();
    int64_t timestamp_ms, input, output;
    if (!IntField(object, "timestamp", timestamp_ms) || timestamp_ms < 0) {
      return error("missing or bad 'timestamp'");
    }
    if (!IntField(object, "input_length", input) || input < 0 || input > 100'000'000) {
      return error("missing or bad 'input_length'");
    }
    if (!IntField(object, "output_length", output) || output < 0 || output > 100'000'000) {
      return error("missing or bad 'output_length'");
    }
    const json::value* ids = object.if_contains("hash_ids");
    if (ids == nullptr || !ids->is_array()) return error("missing or bad 'hash_ids'");
    TraceRequest request;
    request.hash_ids.reserve(ids->as_array().size());
    for (const json::value& id : ids->as_array()) {
      if (id.is_int64() && id.as_int64() >= 0) {
        request.hash_ids.push_back(static_cast<uint64_t>(id.as_int64()));
      } else if (id.is_uint64()) {
        request.hash_ids.push_back(id.as_uint64());
      } else {
        return error("a hash id is not a non-negative integer");
      }
    }
    const int64_t blocks = (input + kMooncakeBlockTokens - 1) / kMooncakeBlockTokens;
    if (static_cast<int64_t>(request.hash_ids.size()) != blocks) {
      return error(fmt::format("{} hash ids for {} input tokens (expected {})",
                               request.hash_ids.size(), input, blocks));
    }
    if (requests.empty()) first_ms = timestamp_ms;
    if (!requests.empty() && timestamp_ms < previous_ms) return error("timestamp goes backwards");
    previous_ms = timestamp_ms;
    request.arrival_us = (timestamp_ms - first_ms) * 1000;
    request.input_tokens = static_cast<int>(input);
    request.output_tokens = static_cast<int>(output);
    requests.push_back(std::move(request));
  }
  if (requests.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}: empty Mooncake trace", source));
  }
  return requests;
}

}  // namespace tokenfab::bench
