#include "tokenfab/sim/node_series.h"

#include <algorithm>

namespace tokenfab::sim {

void NodeSeries::AddStep(int64_t start_us, int64_t end_us, double kv_usage, int32_t waiting,
                         int64_t step_tokens) {
  if (bucket_us <= 0 || end_us <= start_us) return;
  const auto last = static_cast<size_t>((end_us - 1) / bucket_us);
  if (busy_us.size() <= last) {
    busy_us.resize(last + 1, 0.0);
    kv_usage_us.resize(last + 1, 0.0);
    waiting_us.resize(last + 1, 0.0);
    tokens.resize(last + 1, 0.0);
  }
  const auto duration = static_cast<double>(end_us - start_us);
  for (auto b = static_cast<size_t>(start_us / bucket_us); b <= last; ++b) {
    const int64_t from = std::max(start_us, static_cast<int64_t>(b) * bucket_us);
    const int64_t to = std::min(end_us, static_cast<int64_t>(b + 1) * bucket_us);
    const auto overlap = static_cast<double>(to - from);
    busy_us[b] += overlap;
    kv_usage_us[b] += kv_usage * overlap;
    waiting_us[b] += waiting * overlap;
    tokens[b] += static_cast<double>(step_tokens) * overlap / duration;
  }
}

}  // namespace tokenfab::sim
