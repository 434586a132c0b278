#include "tokenfab/sim/simulation.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "sim/simulation_impl.h"
#include "tokenfab/base/check.h"
#include "tokenfab/engine/block_hash.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/sim/network_model.h"
#include "tokenfab/sim/step_profile.h"

namespace tokenfab::sim {
namespace {

bench::PromptOptions PromptOptionsFor(uint64_t seed) {
  bench::PromptOptions options;
  options.form = bench::PromptForm::kTokenIds;
  options.seed = seed;
  return options;
}

}  // namespace

Simulation::Impl::Impl(std::shared_ptr<const fleet::FleetConfig> config,
                       const SimWorkloadSpec& spec, std::vector<SimRequest> plan,
                       const SimOptions& options)
    : config_(std::move(config)),
      spec_(spec),
      plan_(std::move(plan)),
      options_(options),
      core_(options.seed,
            EventCore::kDefaultWallOrigin + int64_t{spec.start_utc_hour} * 3'600'000'000),
      network_random_(core_.random().Fork()),
      prompts_(PromptOptionsFor(options.seed)) {}

Status Simulation::Impl::Init() {
  if (config_->UpstreamsServing(spec_.model).empty()) {
    return absl::InvalidArgumentError(
        fmt::format("no upstream of {} serves model \"{}\"", config_->source(), spec_.model));
  }
  base::Random policy_random = core_.random().Fork();
  const std::string spec_text =
      options_.policy.empty() ? std::string(routing::kDefaultPolicySpec) : options_.policy;
  TF_ASSIGN_OR_RETURN(
      std::unique_ptr<routing::Policy> policy,
      routing::PolicyRegistry::Default().Create(spec_text, options_.policy_options, policy_random));
  policy_spec_ = policy->spec();
  gateway_ = std::make_unique<SimGateway>(config_, std::move(policy), spec_, core_.clock());
  TF_RETURN_IF_ERROR(BuildNodes());
  TF_RETURN_IF_ERROR(ResolveTimeline());
  outcomes_.resize(plan_.size());
  for (size_t i = 0; i < plan_.size(); ++i) {
    outcomes_[i].tier = plan_[i].tier;
    outcomes_[i].arrival_us = plan_[i].arrival_us;
  }
  InitBatches();
  return absl::OkStatus();
}

StatusOr<StepTimeModel> Simulation::Impl::NodeModel(const fleet::Upstream& up,
                                                    const ModelShape& shape) const {
  if (auto profile = spec_.profiles.find(up.name); profile != spec_.profiles.end()) {
    return StepTimeModel::Measured(profile->second);
  }
  if (!up.profile.empty()) {
    TF_ASSIGN_OR_RETURN(const engine::PerformanceModel measured, LoadStepProfile(up.profile));
    return StepTimeModel::Measured(measured);
  }
  return StepTimeModel::Roofline(up.hardware, shape, spec_.roofline);
}

int64_t Simulation::Impl::SeriesIntervalMicros() const {
  if (options_.series_interval_s > 0) {
    return std::max<int64_t>(1, static_cast<int64_t>(options_.series_interval_s * 1e6));
  }
  const double window_s =
      interactive_ == 0 ? spec_.duration_s : plan_[interactive_ - 1].arrival_us / 1e6;
  return static_cast<int64_t>(std::max(1.0, std::ceil(window_s / 60))) * 1'000'000;
}

Status Simulation::Impl::BuildNodes() {
  TF_ASSIGN_OR_RETURN(const ModelShape shape, spec_.Shape());
  SimNodeOptions node_options;
  node_options.wall_origin_us = core_.clock().WallMicros();
  node_options.series_bucket_us = SeriesIntervalMicros();
  max_prompt_tokens_ = INT32_MAX;
  for (const fleet::Upstream& up : config_->upstreams()) {
    const double memory =
        spec_.node.memory_gib * 1073741824.0 * up.hardware.count * spec_.node.memory_utilization;
    const auto kv_bytes = static_cast<int64_t>(memory - shape.WeightBytes());
    auto scheduler = engine::DefaultSchedulerConfig(shape.kv, kv_bytes, spec_.node.block_size);
    if (!scheduler.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("upstream {}: {:.0f} GiB of device memory leaves no KV cache for {} ({})",
                      up.name, memory / 1073741824.0, shape.name, scheduler.status().message()));
    }
    scheduler->max_running_sequences = std::min(spec_.node.max_running, scheduler->num_kv_blocks);
    scheduler->max_batch_tokens =
        std::max(spec_.node.max_batch_tokens, scheduler->max_running_sequences);
    scheduler->max_prefill_chunk_tokens = scheduler->max_batch_tokens;
    TF_RETURN_IF_ERROR(scheduler->Validate());
    node_options.scheduler = *scheduler;
    StatusOr<StepTimeModel> model = NodeModel(up, shape);
    if (!model.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("upstream {}: {}", up.name, model.status().message()));
    }
    nodes_.push_back(
        std::make_unique<SimNode>(up, config_->SiteOf(up), *std::move(model), node_options));
    max_prompt_tokens_ = std::min(max_prompt_tokens_, scheduler->max_context_tokens - 1);
  }
  polled_.assign(nodes_.size(), absl::UnavailableError("not polled yet"));
  return absl::OkStatus();
}

SimResult Simulation::Impl::Run(const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  const auto wall = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (interactive_ > 0) core_.At(plan_[0].arrival_us, kArrival, 0, 0);
  for (uint32_t n = 0; n < nodes_.size(); ++n) core_.At(0, kPollSample, n);
  for (uint64_t i = 0; i < spec_.events.size(); ++i) {
    core_.At(static_cast<int64_t>(spec_.events[i].at_s * 1e6), kTimeline, 0, i);
  }
  double window_s = spec_.duration_s;
  if (interactive_ > 0) window_s = std::max(1e-6, plan_[interactive_ - 1].arrival_us / 1e6);
  const double drain_s = options_.drain_s > 0 ? options_.drain_s : std::max(600.0, window_s);
  const auto end_us = static_cast<int64_t>((window_s + drain_s) * 1e6);
  constexpr uint64_t kSlice = 1'000'000;  // events between progress reports
  while (core_.NextEventTime() <= end_us) {
    core_.RunUntil(end_us, *this, kSlice);
    if (progress) progress(core_.now_us(), wall());
  }
  for (uint64_t i = 0; i < plan_.size(); ++i) {
    if (outcomes_[i].end == RequestOutcome::End::kPending) {
      End(i, RequestOutcome::End::kUnfinished, core_.now_us());
    }
  }
  SimResult result = Collect(wall());
  result.window_s = window_s;
  return result;
}

void Simulation::Impl::OnEvent(const Event& event) {
  switch (event.kind) {
    case kArrival:
      return OnArrival(event.data);
    case kReachNode:
      return OnReachNode(event.target, event.data);
    case kStepEnd:
      return OnStepEnd(event.target);
    case kTimeline:
      return OnTimeline(event.data);
    case kResponseEnd:
      return OnResponseEnd(event.data);
    case kPollSample:
      return OnPollSample(event.target);
    case kPollReport:
      return OnPollReport(event.target);
    case kValleyTick:
      return OnValleyTick();
    default:
      TF_CHECK(false) << "unknown event kind " << event.kind;
  }
}

void Simulation::Impl::OnStepEnd(uint32_t node_index) {
  SimNode& node = *nodes_[node_index];
  node.EndStep();
  if (options_.check_invariants) node.scheduler().CheckInvariants();
  if (node.down()) node.FailAll(core_.now_us());  // it went down during the step
  CollectTerminated(node_index);
  RunNode(node_index);
}

void Simulation::Impl::OnArrival(uint64_t index) {
  if (index + 1 < interactive_) core_.At(plan_[index + 1].arrival_us, kArrival, 0, index + 1);
  Dispatch(index, {});
}

bool Simulation::Impl::Dispatch(uint64_t index, std::string_view prefer_site) {
  const SimRequest& request = plan_[index];
  Flight& flight = flights_[index];  // a new record: each request is routed once
  const int32_t input = std::clamp(request.input_tokens, 1, max_prompt_tokens_);
  flight.prompt = prompts_.TokenIds(input, request.hash_ids, index);
  flight.decision =
      gateway_->Route(spec_.model, request.tier, flight.prompt, request.output_tokens, prefer_site);
  if (!flight.decision.upstream) {
    End(index,
        flight.decision.rejected ? RequestOutcome::End::kRejected
                                 : RequestOutcome::End::kNoUpstream,
        core_.now_us());
    flights_.erase(index);
    return false;
  }
  const uint32_t node = *flight.decision.upstream;
  outcomes_[index].upstream = static_cast<int32_t>(node);
  const fleet::NetworkPath& path = config_->SiteOf(config_->upstreams()[node]).network;
  const int64_t up = OneWayDelayMicros(path, network_random_);
  flight.down_delay_us = OneWayDelayMicros(path, network_random_);
  core_.After(up, kReachNode, node, index);
  return true;
}

void Simulation::Impl::OnReachNode(uint32_t node_index, uint64_t index) {
  Flight& flight = flights_.at(index);
  const SimRequest& request = plan_[index];
  engine::RequestSpec spec;
  spec.id = index + 1;
  spec.tenant_salt = engine::TenantSalt(gateway_->tenant(request.tier).name);
  spec.prompt = std::move(flight.prompt);
  spec.priority = flight.decision.ticket ? flight.decision.ticket->priority() : 0;
  spec.sampling.max_tokens = request.output_tokens;
  spec.sampling.seed = index;
  SimNode& node = *nodes_[node_index];
  const Status status = node.Submit(std::move(spec), core_.now_us());
  flight.prompt = {};
  if (!status.ok()) {
    // Refused (queue full): the error travels back to the gateway.
    outcomes_[index].end = RequestOutcome::End::kRefused;
    core_.After(flight.down_delay_us, kResponseEnd, node_index, index);
    return;
  }
  if (!node.in_step()) RunNode(node_index);
}

void Simulation::Impl::RunNode(uint32_t node_index) {
  SimNode& node = *nodes_[node_index];
  int64_t now = std::max(core_.now_us(), node.in_step() ? node.step_end_us() : 0);
  for (;;) {
    const int64_t end = node.BeginStep(now);
    if (end < 0) return;
    if (options_.exact_steps || end >= core_.NextEventTime()) {
      core_.At(end, kStepEnd, node_index);
      return;
    }
    node.EndStep();
    if (options_.check_invariants) node.scheduler().CheckInvariants();
    CollectTerminated(node_index);
    now = end;
  }
}

void Simulation::Impl::CollectTerminated(uint32_t node_index) {
  for (std::unique_ptr<engine::ScheduledRequest>& request : nodes_[node_index]->TakeTerminated()) {
    const uint64_t index = request->id() - 1;
    RequestOutcome& outcome = outcomes_[index];
    const Flight& flight = flights_.at(index);
    const engine::RequestTimes& times = request->times();
    outcome.prompt_tokens = request->num_prompt_tokens();
    outcome.cached_tokens = request->num_cached_prompt_tokens();
    outcome.generated_tokens = request->num_generated_tokens();
    outcome.energy_cost += nodes_[node_index]->TakeCost(request->id());
    if (times.first_token_us >= 0) {
      outcome.first_token_us = times.first_token_us + flight.down_delay_us;
    }
    outcome.end = request->state() == engine::RequestState::kFinished
                      ? RequestOutcome::End::kCompleted
                      : RequestOutcome::End::kRefused;
    // The response's end reaches the gateway a one-way delay after the node finished it.
    core_.At(times.finished_us + flight.down_delay_us, kResponseEnd, node_index, index);
  }
}

void Simulation::Impl::OnResponseEnd(uint64_t index) {
  RequestOutcome& outcome = outcomes_[index];
  const auto flight = flights_.find(index);
  TF_CHECK(flight != flights_.end()) << "request " << index << " ended twice";
  gateway_->Finish(static_cast<uint32_t>(outcome.upstream), flight->second.decision,
                   int64_t{outcome.prompt_tokens} + outcome.generated_tokens);
  flights_.erase(flight);
  const RequestOutcome::End how = outcome.end;
  outcome.end = RequestOutcome::End::kPending;
  End(index, how, core_.now_us());
  if (index >= interactive_) OnBatchLineEnd(index);
}

void Simulation::Impl::End(uint64_t index, RequestOutcome::End how, int64_t at_us) {
  RequestOutcome& outcome = outcomes_[index];
  ++outcome.ends;
  if (outcome.ends == 1) ++ended_;
  outcome.end = how;
  outcome.end_us = at_us;
}

void Simulation::Impl::OnPollSample(uint32_t node) {
  if (nodes_[node]->down()) {
    polled_[node] = absl::UnavailableError("connection refused");
  } else {
    polled_[node] = nodes_[node]->Load(core_.now_us());
  }
  const fleet::NetworkPath& path = config_->SiteOf(config_->upstreams()[node]).network;
  core_.After(MeanOneWayDelayMicros(path), kPollReport, node);
}

void Simulation::Impl::OnPollReport(uint32_t node) {
  const fleet::NetworkPath& path = config_->SiteOf(config_->upstreams()[node]).network;
  const int64_t rtt = 2 * MeanOneWayDelayMicros(path);
  gateway_->ReportPoll(node, polled_[node], rtt);
  if (!Active()) return;  // every request ended: polling stops and the run drains
  core_.After(spec_.poll_interval_ms * 1000 + rtt / 2, kPollSample, node);
}

SimResult Simulation::Impl::Collect(double wall_s) {
  SimResult result;
  result.policy = policy_spec_;
  result.end_us = core_.now_us();
  result.events = core_.events_handled();
  result.series_interval_us = SeriesIntervalMicros();
  result.wall_s = wall_s;
  for (const std::unique_ptr<SimNode>& node : nodes_) {
    node->CloseAccounts(result.end_us);
    const NodeTotals& t = node->totals();
    NodeResult r;
    r.upstream = node->upstream().name;
    r.site = node->upstream().site_index;
    r.step_model = node->model().Describe();
    r.steps = t.steps;
    r.busy_us = t.busy_us;
    r.kv_usage_us = t.kv_usage_us;
    r.prompt_tokens = t.prompt_tokens;
    r.cached_tokens = t.cached_tokens;
    r.generated_tokens = t.generated_tokens;
    r.preemptions = t.preemptions;
    r.it_wh = t.it_wh;
    r.facility_wh = t.facility_wh;
    r.cost = t.cost;
    r.co2_g = t.co2_g;
    r.kv_blocks_used_at_end = node->scheduler().kv().num_used_blocks();
    r.live_requests_at_end = node->scheduler().num_live();
    r.series = node->series();
    result.nodes.push_back(std::move(r));
  }
  result.outcomes = outcomes_;
  return result;
}

Simulation::Simulation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Simulation::~Simulation() = default;

StatusOr<std::unique_ptr<Simulation>> Simulation::Create(
    std::shared_ptr<const fleet::FleetConfig> config, const SimWorkloadSpec& spec,
    std::vector<SimRequest> plan, const SimOptions& options) {
  auto impl = std::make_unique<Impl>(std::move(config), spec, std::move(plan), options);
  TF_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Simulation>(new Simulation(std::move(impl)));
}

SimResult Simulation::Run(const ProgressFn& progress) { return impl_->Run(progress); }

}  // namespace tokenfab::sim
