#include "batch_runner.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "batch_input.h"
#include "files_api.h"
#include "spare_capacity.h"
#include "tenant_fair_share.h"
#include "tokenfab/base/logging.h"
#include "valley_filler.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

std::string ErrorsJson(const std::vector<BatchInputError>& errors) {
  json::array data;
  for (const BatchInputError& e : errors) {
    json::object item{{"code", e.code}, {"message", e.message}, {"param", nullptr}};
    item["line"] = e.line > 0 ? json::value(e.line) : json::value(nullptr);
    data.push_back(std::move(item));
  }
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

// One line of an output or error file, in OpenAI's format.
std::string OutputLine(const ledger::BatchLine& line, std::string_view missing_code,
                       std::string_view missing_message) {
  json::object out{{"id", fmt::format("batch_req_{}_{}", line.batch_id, line.line)},
                   {"custom_id", line.custom_id}};
  if (line.state == ledger::LineState::kPending) {
    out["response"] = nullptr;
    out["error"] = json::object{{"code", missing_code}, {"message", missing_message}};
  } else {
    boost::system::error_code ec;
    json::value body = json::parse(line.response, ec);
    if (ec) body = json::string(line.response);
    out["response"] = json::object{{"status_code", line.status_code},
                                   {"request_id", line.request_id},
                                   {"body", std::move(body)}};
    out["error"] = nullptr;
  }
  return json::serialize(out) + "\n";
}

// The largest elapsed share of a batch's window among `batches` at `now_us` (µs since the epoch).
double WindowUsed(const std::vector<ledger::BatchRecord>& batches, int64_t now_us) {
  double used = 0;
  for (const ledger::BatchRecord& b : batches) {
    const double span = static_cast<double>(std::max<int64_t>(1, b.expires_at - b.created_at));
    used = std::max(used,
                    (static_cast<double>(now_us) / 1e6 - static_cast<double>(b.created_at)) / span);
  }
  return used;
}

// The batch runner's next line as the SLO queue orders it (slo_queue.h): band batch, at the
// flex priority, its latest start the earliest deadline among `batches` (on the monotonic clock
// of `clock`).
SloWaiter BatchProbe(const std::vector<ledger::BatchRecord>& batches, const base::Clock& clock) {
  int64_t expires_s = std::numeric_limits<int64_t>::max();
  for (const ledger::BatchRecord& b : batches) expires_s = std::min(expires_s, b.expires_at);
  SloWaiter probe;
  probe.band = WorkBand::kBatch;
  probe.priority = kFlexPriority;
  const int64_t now = clock.NowMicros();
  const int64_t left_us = expires_s == std::numeric_limits<int64_t>::max()
                              ? std::numeric_limits<int64_t>::max() / 2
                              : expires_s * 1'000'000 - clock.WallMicros();
  probe.latest_start_us = now + std::max<int64_t>(0, left_us);
  return probe;
}

}  // namespace

BatchRunner::BatchRunner(std::shared_ptr<GatewayContext> context, net::HttpUrl self)
    : context_(std::move(context)), store_(*context_->store->batches()), self_(std::move(self)) {}

BatchRunner::~BatchRunner() { Stop(std::chrono::milliseconds(0)); }

void BatchRunner::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void BatchRunner::StopLaunching() {
  absl::MutexLock lock(&mu_);
  launching_ = false;
}

void BatchRunner::Stop(std::chrono::milliseconds grace) {
  {
    absl::MutexLock lock(&mu_);
    launching_ = false;
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_total_ == 0; };
    mu_.AwaitWithTimeout(absl::Condition(&drained), absl::FromChrono(grace));
    stop_ = true;
    wake_cv_.Signal();
  }
  if (thread_.joinable()) thread_.join();
}

void BatchRunner::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
  wake_cv_.Signal();
}

int64_t BatchRunner::NowSeconds() const { return context_->clock.WallMicros() / 1'000'000; }

int64_t BatchRunner::InFlight(const std::string& batch_id) {
  absl::MutexLock lock(&mu_);
  auto it = running_.find(batch_id);
  return it == running_.end() ? 0 : static_cast<int64_t>(it->second.lines.size());
}

void BatchRunner::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (!wake_ && !stop_) wake_cv_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
      if (stop_) return;
      wake_ = false;
    }
    Step();
  }
}

Status BatchRunner::Create(const ledger::BatchRecord& batch) {
  {
    absl::MutexLock lock(&records_mu_);
    TF_RETURN_IF_ERROR(store_.InsertBatch(batch));
  }
  Wake();
  return absl::OkStatus();
}

StatusOr<ledger::BatchRecord> BatchRunner::Cancel(std::string_view tenant, std::string_view id) {
  ledger::BatchRecord batch;
  {
    absl::MutexLock lock(&records_mu_);
    TF_ASSIGN_OR_RETURN(batch, store_.GetBatch(tenant, id));
    TF_ASSIGN_OR_RETURN(BatchStatus status, ParseBatchStatus(batch.status));
    if (status == BatchStatus::kCancelling || status == BatchStatus::kCancelled) return batch;
    TF_RETURN_IF_ERROR(TransitionBatch(batch, BatchStatus::kCancelling, NowSeconds()));
    TF_RETURN_IF_ERROR(store_.UpdateBatch(batch));
  }
  Wake();
  return batch;
}

Status BatchRunner::Move(const ledger::BatchRecord& batch, BatchStatus to,
                         const std::function<void(ledger::BatchRecord&)>& edit) {
  absl::MutexLock lock(&records_mu_);
  TF_ASSIGN_OR_RETURN(ledger::BatchRecord fresh, store_.GetBatch(batch.tenant, batch.id));
  TF_RETURN_IF_ERROR(TransitionBatch(fresh, to, NowSeconds()));
  if (edit) edit(fresh);
  return store_.UpdateBatch(fresh);
}

void BatchRunner::Step() {
  StatusOr<std::vector<ledger::BatchRecord>> unfinished = store_.ListUnfinishedBatches();
  if (!unfinished.ok()) {
    TF_LOG_WARN("batch runner: {}", unfinished.status().message());
    return;
  }
  std::vector<ledger::BatchRecord> running;
  const int64_t now = NowSeconds();
  for (ledger::BatchRecord& batch : *unfinished) {
    StatusOr<BatchStatus> status = ParseBatchStatus(batch.status);
    if (!status.ok()) continue;
    switch (*status) {
      case BatchStatus::kValidating:
        Validate(batch);
        break;
      case BatchStatus::kInProgress:
        if (now >= batch.expires_at) {
          if (InFlight(batch.id) == 0) Finish(batch, BatchStatus::kExpired);
        } else {
          running.push_back(std::move(batch));
        }
        break;
      case BatchStatus::kCancelling:
        if (InFlight(batch.id) == 0) Finish(batch, BatchStatus::kCancelled);
        break;
      case BatchStatus::kFinalizing:
        // A restart during finalizing: finish it again (the output files are rewritten).
        Finish(batch, now >= batch.expires_at && batch.expired_at == 0 ? BatchStatus::kExpired
                                                                       : BatchStatus::kCompleted);
        break;
      default:
        break;
    }
  }
  LaunchLines(running);
}

void BatchRunner::Validate(ledger::BatchRecord batch) {
  const std::string& dir = context_->options.files_dir;
  StatusOr<std::string> text = ReadStoredFile(dir, batch.input_file_id);
  BatchInput input;
  if (!text.ok()) {
    input.errors.push_back({0, "file_not_found", "The input file's bytes are gone."});
  } else {
    input = ParseBatchInput(*text, batch.endpoint, context_->options.max_batch_lines);
  }
  if (!input.errors.empty()) {
    Status s = Move(batch, BatchStatus::kFailed,
                    [&](ledger::BatchRecord& b) { b.errors_json = ErrorsJson(input.errors); });
    if (!s.ok()) TF_LOG_WARN("batch {}: {}", batch.id, s.message());
    return;
  }
  std::vector<ledger::BatchLine> lines;
  lines.reserve(input.lines.size());
  for (BatchInputLine& in : input.lines) {
    ledger::BatchLine line;
    line.batch_id = batch.id;
    line.line = in.line;
    line.custom_id = std::move(in.custom_id);
    line.body = std::move(in.body);
    lines.push_back(std::move(line));
  }
  Status s = store_.InsertLines(lines);
  if (s.ok()) s = Move(batch, BatchStatus::kInProgress);
  if (!s.ok()) TF_LOG_WARN("batch {}: {}", batch.id, s.message());
  Wake();
}

std::vector<SiteRelease> BatchRunner::Release(const FleetGeneration& generation) {
  GatewayContext& ctx = *context_;
  const ValleyOptions options =
      ctx.valley.Options(ctx.store, ctx.options.default_output_tokens, ctx.clock.WallMicros());
  return ValleyGate::Plan(generation, *ctx.fleet.Snapshot(generation), options);
}

void BatchRunner::LaunchLines(std::vector<ledger::BatchRecord>& batches) {
  if (batches.empty()) return;
  std::shared_ptr<const FleetGeneration> generation = context_->fleet.generation();
  std::vector<SiteRelease> plan = Release(*generation);
  // Interactive and flex work waiting in the SLO queue goes first (a batch near its deadline
  // only yields to interactive): the released room is theirs, and only the deadline floor runs.
  if (context_->slo_queue.AheadOf(BatchProbe(batches, context_->clock),
                                  context_->clock.NowMicros())) {
    for (SiteRelease& r : plan) r.release = 0;
  }
  int64_t released = 0;
  for (const SiteRelease& r : plan) released += r.release;
  const double window_used = WindowUsed(batches, context_->clock.WallMicros());
  int64_t in_flight = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!launching_) return;
    in_flight = in_flight_total_;
  }
  const int64_t allowed = BatchConcurrency(
      released, in_flight, window_used,
      BatchInFlightCap(context_->options.max_batch_in_flight, ValleyGate::Limits(*generation)));
  // Each tenant's next line; deficit round robin by tokens picks whose goes.
  std::vector<bool> exhausted(batches.size(), false);
  absl::flat_hash_map<std::string, Next> heads;
  for (const ledger::BatchRecord& b : batches) {
    if (heads.contains(b.tenant)) continue;
    if (std::optional<Next> next = PeekTenant(b.tenant, batches, exhausted)) {
      heads.emplace(b.tenant, *std::move(next));
    }
  }
  size_t site = 0;
  while (in_flight < allowed && !heads.empty()) {
    std::vector<TenantFairShare::Head> offer;
    for (const auto& [tenant, next] : heads) offer.push_back({tenant, next.tokens});
    std::optional<size_t> pick;
    {
      absl::MutexLock lock(&mu_);
      pick = fair_share_.Next(offer);
    }
    const std::string tenant(offer[*pick].tenant);
    Next next = std::move(heads.at(tenant));
    heads.erase(tenant);
    // The released room, cheapest site first; past it (deadline pressure) routing chooses.
    while (site < plan.size() && plan[site].release == 0) ++site;
    std::string where;
    if (site < plan.size()) {
      --plan[site].release;
      where = generation->config->sites()[plan[site].site].name;
    }
    LaunchOne(batches[next.batch], std::move(next.line), next.tokens, where);
    ++in_flight;
    if (std::optional<Next> again = PeekTenant(tenant, batches, exhausted)) {
      heads.emplace(tenant, *std::move(again));
    }
  }
  // A batch with nothing pending and nothing in flight is done.
  for (size_t i = 0; i < batches.size(); ++i) {
    if (!exhausted[i] || InFlight(batches[i].id) > 0) continue;
    StatusOr<ledger::LineCounts> counts = store_.CountLines(batches[i].id);
    if (counts.ok() && counts->succeeded + counts->failed == counts->total) {
      Finish(batches[i], BatchStatus::kCompleted);
    }
  }
}

std::optional<BatchRunner::Next> BatchRunner::PeekTenant(
    const std::string& tenant, const std::vector<ledger::BatchRecord>& batches,
    std::vector<bool>& exhausted) {
  std::vector<size_t> own;
  for (size_t i = 0; i < batches.size(); ++i) {
    if (batches[i].tenant == tenant && !exhausted[i]) own.push_back(i);
  }
  size_t& rotation = rotation_[tenant];
  for (size_t tried = 0; tried < own.size(); ++tried) {
    const size_t i = own[rotation++ % own.size()];
    if (std::optional<ledger::BatchLine> line = PeekLine(batches[i])) {
      const int64_t tokens =
          EstimateLineTokens(line->body, context_->options.default_output_tokens);
      return Next{i, *std::move(line), tokens};
    }
    exhausted[i] = true;
  }
  return std::nullopt;
}

std::optional<ledger::BatchLine> BatchRunner::PeekLine(const ledger::BatchRecord& batch) {
  const int64_t busy = InFlight(batch.id);
  StatusOr<std::vector<ledger::BatchLine>> pending = store_.PendingLines(batch.id, 0, busy + 1);
  if (!pending.ok()) {
    TF_LOG_WARN("batch {}: {}", batch.id, pending.status().message());
    return std::nullopt;
  }
  absl::MutexLock lock(&mu_);
  const Running& running = running_[batch.id];
  for (ledger::BatchLine& line : *pending) {
    if (!running.lines.contains(line.line)) return std::move(line);
  }
  return std::nullopt;
}

void BatchRunner::LaunchOne(const ledger::BatchRecord& batch, ledger::BatchLine line,
                            int64_t tokens, const std::string& site) {
  {
    absl::MutexLock lock(&mu_);
    running_[batch.id].lines.insert(line.line);
    ++in_flight_total_;
  }
  net::ClientRequest call;
  call.method = "POST";
  call.url = self_.WithPath(batch.endpoint);
  call.headers.Add("Content-Type", "application/json");
  call.headers.Add("x-tokenfab-batch", context_->batch_secret);
  call.headers.Add("x-tokenfab-tenant", batch.tenant);
  call.headers.Add("x-tokenfab-key-id", batch.key_id);
  if (!site.empty()) call.headers.Add("x-tokenfab-batch-site", site);
  line.request_id = fmt::format("{}-{}", batch.id, line.line);
  call.headers.Add("x-request-id", line.request_id);
  call.body = line.body;
  auto self = shared_from_this();
  context_->client.Fetch(std::move(call), [self, line = std::move(line), tenant = batch.tenant,
                                           tokens](StatusOr<net::HttpResponse> r) mutable {
    self->OnLineDone(std::move(line), std::move(tenant), tokens, std::move(r));
  });
}

void BatchRunner::OnLineDone(ledger::BatchLine line, std::string tenant, int64_t tokens,
                             StatusOr<net::HttpResponse> response) {
  // Storing the outcome blocks: on a control worker (still alive: Stop() waits for this).
  auto self = shared_from_this();
  context_->control.Schedule([self, line = std::move(line), tenant = std::move(tenant), tokens,
                              response = std::move(response)]() mutable {
    // Retry later (the line stays pending): no answer, or one that says "not now".
    const bool retry = !response.ok() || response->status == 429 || response->status >= 500;
    if (!retry) {
      line.status_code = response->status;
      line.state = response->status >= 200 && response->status < 300 ? ledger::LineState::kSucceeded
                                                                     : ledger::LineState::kFailed;
      line.response = std::move(response->body);
      if (Status s = self->store_.FinishLine(line); !s.ok()) {
        TF_LOG_WARN("batch {} line {}: {}", line.batch_id, line.line, s.message());
      }
    }
    // The tenant's fair share pays for the tokens served (a line to retry served none).
    int64_t served = 0;
    if (!retry) served = ServedTokens(line.response).value_or(tokens);
    absl::MutexLock lock(&self->mu_);
    self->fair_share_.Settle(tenant, tokens, served);
    self->running_[line.batch_id].lines.erase(line.line);
    --self->in_flight_total_;
    // A finished line makes room at once; a line to retry waits for the next tick (100 ms), so
    // a fleet or a tenant limit that refuses lines is not hammered.
    if (!retry) {
      self->wake_ = true;
      self->wake_cv_.Signal();
    }
  });
}

void BatchRunner::Finish(ledger::BatchRecord batch, BatchStatus final_status) {
  const bool cancelled = final_status == BatchStatus::kCancelled;
  if (!cancelled && batch.status == "in_progress") {
    if (Status s = Move(batch, BatchStatus::kFinalizing); !s.ok()) {
      TF_LOG_WARN("batch {}: {}", batch.id, s.message());
      return;
    }
  }
  StatusOr<std::vector<ledger::BatchLine>> lines = store_.ListLines(batch.id);
  if (!lines.ok()) return;
  const std::string code = cancelled ? "batch_cancelled" : "batch_expired";
  const std::string message = cancelled
                                  ? "This request was not executed: the batch was cancelled."
                                  : "This request could not be executed before the completion "
                                    "window expired.";
  std::string output, errors;
  for (const ledger::BatchLine& line : *lines) {
    (line.state == ledger::LineState::kSucceeded ? output : errors) +=
        OutputLine(line, code, message);
  }
  auto store_file = [&](const std::string& data, std::string_view suffix) -> std::string {
    if (data.empty()) return {};
    ledger::FileRecord file{fmt::format("file-{}-{}", batch.id, suffix),
                            batch.tenant,
                            fmt::format("{}_{}.jsonl", batch.id, suffix),
                            "batch_output",
                            static_cast<int64_t>(data.size()),
                            NowSeconds()};
    Status s = WriteStoredFile(context_->options.files_dir, file.id, data);
    if (s.ok() && !store_.GetFile(batch.tenant, file.id).ok()) s = store_.InsertFile(file);
    if (!s.ok()) TF_LOG_WARN("batch {}: {}", batch.id, s.message());
    return s.ok() ? file.id : std::string();
  };
  const std::string output_id = store_file(output, "output");
  const std::string error_id = store_file(errors, "errors");
  Status s = Move(batch, final_status, [&](ledger::BatchRecord& b) {
    b.output_file_id = output_id;
    b.error_file_id = error_id;
  });
  if (!s.ok()) TF_LOG_WARN("batch {}: {}", batch.id, s.message());
  absl::MutexLock lock(&mu_);
  running_.erase(batch.id);
}

}  // namespace tokenfab::gateway
