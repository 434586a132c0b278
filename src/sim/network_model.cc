#include "tokenfab/sim/network_model.h"

#include <algorithm>
#include <cmath>

namespace tokenfab::sim {
namespace {

double RetransmitMicros(const fleet::NetworkPath& path) {
  const double rto_ms = std::max(200.0, path.rtt_ms + 4 * path.jitter_ms);
  return path.loss * rto_ms * 1000.0;
}

}  // namespace

int64_t MeanOneWayDelayMicros(const fleet::NetworkPath& path) {
  if (!path.configured) return 0;
  return std::llround(path.rtt_ms * 500.0 + RetransmitMicros(path));
}

int64_t OneWayDelayMicros(const fleet::NetworkPath& path, base::Random& random) {
  if (!path.configured) return 0;
  const double half_us = path.rtt_ms * 500.0;
  double jitter_us = 0;
  if (path.jitter_ms > 0) jitter_us = random.Normal() * path.jitter_ms * 1000.0 / std::sqrt(2.0);
  const double one_way = std::max(half_us / 2, half_us + jitter_us);
  return std::llround(one_way + RetransmitMicros(path));
}

}  // namespace tokenfab::sim
