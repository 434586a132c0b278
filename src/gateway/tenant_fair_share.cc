#include "tenant_fair_share.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include <boost/json.hpp>

#include "tokenfab/base/check.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

std::optional<json::object> ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::optional<int64_t> PositiveInt(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64() && v->as_int64() > 0) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() > 0) {
    return static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX));
  }
  return std::nullopt;
}

}  // namespace

TenantFairShare::TenantFairShare(int64_t quantum_tokens) : quantum_(quantum_tokens) {
  TF_CHECK(quantum_tokens > 0);
}

std::optional<size_t> TenantFairShare::Next(std::span<const Head> heads) {
  if (heads.empty()) return std::nullopt;
  std::vector<size_t> order(heads.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return heads[a].tenant < heads[b].tenant; });
  // A tenant with nothing to send keeps a debt but loses its credit.
  for (auto it = deficit_.begin(); it != deficit_.end();) {
    const bool present = std::any_of(heads.begin(), heads.end(),
                                     [&](const Head& h) { return h.tenant == it->first; });
    if (!present && it->second >= 0) {
      deficit_.erase(it++);
    } else {
      if (!present) it->second = std::min<int64_t>(it->second, 0);
      ++it;
    }
  }
  size_t pos = 0;
  while (pos < order.size() && heads[order[pos]].tenant < current_) ++pos;
  if (pos == order.size()) pos = 0;
  if (heads[order[pos]].tenant != current_) turn_started_ = false;
  int64_t most = 1;
  for (const Head& h : heads) most = std::max(most, h.tokens);
  // Every tenant reaches its item within this many turns (a debt adds at most a few).
  const int64_t bound = static_cast<int64_t>(heads.size()) * (most / quantum_ + 2) +
                        static_cast<int64_t>(heads.size()) * 1024;
  for (int64_t step = 0; step < bound; ++step) {
    const size_t i = order[pos];
    const std::string_view tenant = heads[i].tenant;
    int64_t& deficit = deficit_[std::string(tenant)];
    if (!turn_started_) {
      deficit += quantum_;
      turn_started_ = true;
      current_ = std::string(tenant);
    }
    const int64_t cost = std::max<int64_t>(1, heads[i].tokens);
    if (deficit >= cost) {
      deficit -= cost;
      return i;
    }
    pos = (pos + 1) % order.size();
    turn_started_ = false;
    current_ = std::string(heads[order[pos]].tenant);
  }
  // Only a very deep debt gets here: serve the current tenant rather than nobody.
  return order[pos];
}

void TenantFairShare::Settle(std::string_view tenant, int64_t estimated, int64_t served) {
  deficit_[std::string(tenant)] -= served - estimated;
}

int64_t TenantFairShare::deficit(std::string_view tenant) const {
  auto it = deficit_.find(std::string(tenant));
  return it == deficit_.end() ? 0 : it->second;
}

int64_t EstimateLineTokens(std::string_view body, int64_t default_output) {
  const int64_t prompt = static_cast<int64_t>(body.size()) / 4;
  int64_t output = default_output;
  int64_t n = 1;
  if (std::optional<json::object> object = ParseObject(body)) {
    if (auto v = PositiveInt(*object, "max_completion_tokens")) output = *v;
    if (auto v = PositiveInt(*object, "max_tokens")) output = *v;
    if (auto v = PositiveInt(*object, "n")) n = *v;
  }
  return std::max<int64_t>(1, prompt + std::max<int64_t>(0, output) * n);
}

std::optional<int64_t> ServedTokens(std::string_view response_body) {
  std::optional<json::object> object = ParseObject(response_body);
  if (!object) return std::nullopt;
  const json::value* usage = object->if_contains("usage");
  if (usage == nullptr || !usage->is_object()) return std::nullopt;
  const json::value* total = usage->as_object().if_contains("total_tokens");
  if (total == nullptr || !total->is_int64() || total->as_int64() < 0) return std::nullopt;
  return total->as_int64();
}

}  // namespace tokenfab::gateway
