#include "node/load_json.h"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace tokenfab::node {

namespace json = boost::json;

std::string LoadJson(std::string_view model, const engine::EngineLoad& load) {
  json::array hashes;
  hashes.reserve(load.block_hashes.size());
  for (engine::BlockHash hash : load.block_hashes) hashes.emplace_back(fmt::format("{:016x}", hash));
  json::object prefix;
  prefix["block_tokens"] = load.block_tokens;
  prefix["hit_rate"] = load.prefix_hit_rate;
  prefix["cached_blocks"] = load.prefix_cached_blocks;
  prefix["block_hashes"] = std::move(hashes);

  json::object out;
  out["model"] = json::string_view(model.data(), model.size());
  out["running"] = load.running;
  out["waiting"] = load.waiting;
  out["kv_usage"] = load.kv_usage;
  out["kv_blocks_total"] = load.kv_blocks_total;
  out["kv_blocks_free"] = load.kv_blocks_free;
  out["block_tokens"] = load.block_tokens;
  out["max_running"] = load.max_running;
  out["queue_delay_ms"] = load.queue_delay_ms;
  out["prefill_tokens_per_s"] = load.prefill_tokens_per_s;
  out["decode_tokens_per_s"] = load.decode_tokens_per_s;
  out["tpot_ms"] = load.tpot_ms;
  out["prefix_cache"] = std::move(prefix);
  return json::serialize(out);
}

}  // namespace tokenfab::node
