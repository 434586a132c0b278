// Server-Timing (W3C): how long a server spent on a response, so that a client timing the
// exchange can take the server's part out and keep the network's. tokenfab nodes send
//
//   Server-Timing: load;dur=0.412
//
// on /load (dur in milliseconds, from the request head read to the answer built); the gateway's
// poller subtracts it from the poll's duration to measure the transport RTT. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tokenfab::api {

inline constexpr std::string_view kServerTimingHeader = "Server-Timing";

// The header value for one metric `name` that took `micros` (clamped at 0): "name;dur=MS".
std::string ServerTimingValue(std::string_view name, int64_t micros);

// The server's time in a Server-Timing value: the sum of its metrics' dur parameters, in
// microseconds (rounded). nullopt when no metric has a finite, non-negative dur.
std::optional<int64_t> ServerTimingMicros(std::string_view value);

}  // namespace tokenfab::api
