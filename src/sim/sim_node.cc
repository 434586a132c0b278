#include "sim/sim_node.h"

#include <algorithm>
#include <array>
#include <utility>

#include "tokenfab/base/check.h"
#include "tokenfab/engine/queue_delay.h"
#include "tokenfab/fleet/energy.h"

namespace tokenfab::sim {
namespace {

// The token every simulated sequence samples: any valid id will do, since requests end by
// max_tokens and nothing reads the text.
constexpr engine::Token kSimToken = 1;

}  // namespace

SimNode::SimNode(const fleet::Upstream& upstream, const fleet::Site& site, StepTimeModel model,
                 const SimNodeOptions& options)
    : upstream_(upstream),
      site_(&site),
      model_(std::move(model)),
      options_(options),
      clock_(0, options.wall_origin_us),
      scheduler_(options.scheduler, clock_),
      rates_(options.rate_time_constant_us) {
  series_.bucket_us = options.series_bucket_us;
}

Status SimNode::Submit(engine::RequestSpec spec, int64_t now_us) {
  if (now_us > clock_.NowMicros()) clock_.Set(now_us);
  if (scheduler_.num_waiting() >= options_.max_waiting_requests) {
    return absl::ResourceExhaustedError("the node's waiting queue is full");
  }
  if (down_) return absl::UnavailableError("the node is down");
  const engine::RequestId id = spec.id;
  TF_RETURN_IF_ERROR(scheduler_.Submit(std::move(spec)));
  live_ids_.push_back(id);
  return absl::OkStatus();
}

void SimNode::SetDown(bool down, int64_t now_us) {
  if (down == down_) return;
  if (now_us > clock_.NowMicros()) clock_.Set(now_us);
  if (down) {
    CloseAccounts(now_us);  // idle power up to now; none while down
  } else {
    accounted_until_us_ = std::max(accounted_until_us_, now_us);
  }
  down_ = down;
}

void SimNode::SetSite(const fleet::Site& site, int64_t now_us) {
  if (!in_step_) CloseAccounts(now_us);
  site_ = &site;
}

void SimNode::FailAll(int64_t now_us) {
  TF_CHECK(!in_step_);
  if (now_us > clock_.NowMicros()) clock_.Set(now_us);
  for (engine::RequestId id : live_ids_) {
    if (scheduler_.Find(id) != nullptr) (void)scheduler_.Fail(id);
  }
}

int64_t SimNode::BeginStep(int64_t now_us) {
  TF_CHECK(!in_step_);
  if (now_us > clock_.NowMicros()) clock_.Set(now_us);
  if (down_ || !scheduler_.HasWork()) return -1;
  batch_ = scheduler_.Schedule();
  if (batch_.empty()) {
    // Nothing can run (the scheduler found no room): close the step at once.
    scheduler_.Update(batch_, {});
    return -1;
  }
  const int64_t now = clock_.NowMicros();
  if (now > accounted_until_us_) Account(accounted_until_us_, now - accounted_until_us_, 0.0);
  const int64_t duration = model_.StepMicros(batch_);
  in_step_ = true;
  step_start_us_ = now;
  step_end_us_ = now + duration;
  step_waiting_ = scheduler_.num_waiting();
  return step_end_us_;
}

void SimNode::EndStep() {
  TF_CHECK(in_step_);
  clock_.Set(step_end_us_);
  const int64_t duration = step_end_us_ - step_start_us_;
  results_.assign(batch_.sequences.size(), engine::SequenceResult{});
  for (size_t i = 0; i < batch_.sequences.size(); ++i) {
    if (batch_.sequences[i].logits) results_[i].token = kSimToken;
  }
  totals_.kv_usage_us += scheduler_.kv().Usage() * static_cast<double>(duration);
  series_.AddStep(step_start_us_, step_end_us_, scheduler_.kv().Usage(), step_waiting_,
                  int64_t{batch_.num_prefill_tokens} + batch_.num_decode_tokens);
  scheduler_.Update(batch_, results_);
  rates_.Record(duration, batch_.num_prefill_tokens, batch_.num_decode_tokens);
  ++totals_.steps;
  totals_.busy_us += duration;
  totals_.preemptions += static_cast<int64_t>(batch_.preempted.size());
  const double cost_before = totals_.cost;
  Account(step_start_us_, duration, 1.0);
  // The step's energy cost, shared by its sequences by the tokens each computed.
  const double step_cost = totals_.cost - cost_before;
  if (batch_.num_tokens > 0) {
    for (const engine::ScheduledSequence& seq : batch_.sequences) {
      request_cost_[seq.id] += step_cost * static_cast<double>(seq.tokens.size()) /
                               static_cast<double>(batch_.num_tokens);
    }
  }
  in_step_ = false;
}

std::vector<std::unique_ptr<engine::ScheduledRequest>> SimNode::TakeTerminated() {
  std::vector<std::unique_ptr<engine::ScheduledRequest>> ended = scheduler_.TakeTerminated();
  if (!ended.empty()) {
    std::erase_if(live_ids_,
                  [this](engine::RequestId id) { return scheduler_.Find(id) == nullptr; });
  }
  for (const auto& request : ended) {
    totals_.prompt_tokens += request->num_prompt_tokens();
    totals_.cached_tokens += request->num_cached_prompt_tokens();
    totals_.generated_tokens += request->num_generated_tokens();
  }
  return ended;
}

double SimNode::TakeCost(engine::RequestId id) {
  auto it = request_cost_.find(id);
  if (it == request_cost_.end()) return 0;
  const double cost = it->second;
  request_cost_.erase(it);
  return cost;
}

void SimNode::Account(int64_t start_us, int64_t duration_us, double utilisation) {
  if (duration_us <= 0) return;
  const double hours = static_cast<double>(duration_us) / 3.6e9;
  const double it_wh = upstream_.hardware.PowerW(utilisation) * hours;
  const double facility_wh = fleet::FacilityEnergyWh(site_->energy, it_wh);
  // Price at the middle of the interval (idle gaps may span an hour boundary).
  const int64_t wall = options_.wall_origin_us + start_us + duration_us / 2;
  totals_.it_wh += it_wh;
  totals_.facility_wh += facility_wh;
  totals_.cost +=
      facility_wh / 1000.0 * fleet::PriceAt(site_->energy, site_->utc_offset_minutes, wall);
  totals_.co2_g += fleet::CarbonGrams(site_->energy, facility_wh);
  accounted_until_us_ = std::max(accounted_until_us_, start_us + duration_us);
}

void SimNode::CloseAccounts(int64_t end_us) {
  if (!down_ && end_us > accounted_until_us_) {
    Account(accounted_until_us_, end_us - accounted_until_us_, 0.0);
  }
}

gateway::UpstreamLoad SimNode::Load(int64_t now_us) {
  gateway::UpstreamLoad load;
  const engine::KvBlockManager& kv = scheduler_.kv();
  load.running = scheduler_.num_running();
  load.waiting = scheduler_.num_waiting();
  load.kv_usage = kv.Usage();
  load.max_running = scheduler_.config().max_running_sequences;
  load.prefill_tokens_per_s = rates_.prefill_tokens_per_s();
  load.decode_tokens_per_s = rates_.decode_tokens_per_s();
  load.tpot_ms = rates_.tpot_us() / 1000.0;
  engine::QueueDelayInputs queue;
  for (engine::RequestId id : live_ids_) {
    if (const engine::ScheduledRequest* r = scheduler_.Find(id)) queue.Add(*r);
  }
  load.queue_delay_ms = engine::EstimateQueueDelayMs(queue, load.prefill_tokens_per_s, load.tpot_ms,
                                                     load.running, load.max_running);
  if (kv.prefix_caching()) {
    const engine::PrefixCache& cache = kv.prefix_cache();
    load.prefix_hit_rate = cache.stats().TokenHitRate();
    load.block_tokens = kv.block_size();
    const int64_t now = std::max(now_us, clock_.NowMicros());
    // Skip the copy when nothing was inserted, evicted or reused since the last call (the
    // answer would be the same).
    const engine::PrefixCacheStats& stats = cache.stats();
    const std::array<int64_t, 3> version = {stats.inserted_blocks, stats.evicted_blocks,
                                            stats.queries};
    if ((hashes_at_us_ < 0 || now - hashes_at_us_ >= options_.hashes_refresh_us) &&
        version != hashes_version_) {
      cached_hashes_ = cache.RecentHashes(options_.max_reported_block_hashes);
      hashes_at_us_ = now;
      hashes_version_ = version;
    }
    load.cached_block_hashes = cached_hashes_;
  }
  return load;
}

}  // namespace tokenfab::sim
