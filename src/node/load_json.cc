#include "node/load_json.h"

namespace tokenfab::node {

api::LoadReport NodeLoadReport(std::string_view model, const engine::EngineLoad& load,
                               const std::optional<engine::PerformanceModel>& step_model) {
  api::LoadReport report;
  report.model = std::string(model);
  report.running = load.running;
  report.waiting = load.waiting;
  report.kv_usage = load.kv_usage;
  report.kv_blocks_total = load.kv_blocks_total;
  report.kv_blocks_free = load.kv_blocks_free;
  report.max_running = load.max_running;
  report.queue_delay_ms = load.queue_delay_ms;
  report.prefill_tokens_per_s = load.prefill_tokens_per_s;
  report.decode_tokens_per_s = load.decode_tokens_per_s;
  report.tpot_ms = load.tpot_ms;
  report.prefill_tokens_queued = load.prefill_tokens_queued;
  report.decode_sequences = load.decode_sequences;
  report.kv_tokens = load.kv_tokens;
  if (step_model) {
    report.step_model = api::LoadStepModel{.base_us = step_model->base_us,
                                           .prefill_token_us = step_model->per_prefill_token_us,
                                           .decode_sequence_us = step_model->per_decode_sequence_us,
                                           .kv_token_us = step_model->per_kv_token_us};
  }
  report.block_tokens = load.block_tokens;
  report.prefix_hit_rate = load.prefix_hit_rate;
  report.prefix_cached_blocks = load.prefix_cached_blocks;
  report.block_hashes.assign(load.block_hashes.begin(), load.block_hashes.end());
  return report;
}

std::string LoadJson(std::string_view model, const engine::EngineLoad& load,
                     const std::optional<engine::PerformanceModel>& step_model) {
  return api::LoadReportJson(NodeLoadReport(model, load, step_model));
}

}  // namespace tokenfab::node
