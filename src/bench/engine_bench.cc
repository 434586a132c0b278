#include "tokenfab/bench/engine_bench.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/clock.h"
#include "tokenfab/base/random.h"
#include "tokenfab/engine/engine.h"

namespace tokenfab::bench {

using engine::Engine;
using engine::EngineEvent;
using engine::EngineOptions;
using engine::EngineRequest;
using engine::FinishReason;
using engine::ModelExecutor;
using engine::RequestHandle;
using engine::SchedulerConfig;
using engine::Token;
namespace {

// Counts the requests that ended, for the thread that waits for them.
class Completions {
 public:
  void Add() {
    {
      absl::MutexLock lock(&mu_);
      ++done_;
    }
    cv_.SignalAll();
  }
  // Blocks until at least `n` requests ended.
  void WaitFor(int n) {
    absl::MutexLock lock(&mu_);
    while (done_ < n) cv_.Wait(&mu_);
  }

 private:
  absl::Mutex mu_;
  absl::CondVar cv_;
  int done_ ABSL_GUARDED_BY(mu_) = 0;
};

// One request's stream, drained on the engine thread by its notifier.
struct Tracked {
  absl::Mutex mu;
  RequestHandle handle;           // set once Submit() returned
  std::vector<int64_t> token_us;  // delivery time of each token event (engine clock)
  EngineEvent finish;
  bool finished = false;
};

void Drain(Tracked& t, const base::Clock& clock, Completions& completions) {
  std::vector<EngineEvent> events;
  bool ended = false;
  {
    absl::MutexLock lock(&t.mu);
    if (!t.handle.valid()) return;  // Submit() has not returned yet; it drains then
    t.handle.Poll(&events);
    const int64_t now = clock.NowMicros();
    for (EngineEvent& e : events) {
      if (e.finished()) {
        t.finish = std::move(e);
        t.finished = ended = true;
      } else {
        t.token_us.push_back(now);
      }
    }
  }
  if (ended) completions.Add();
}

// The notifier holds the tracker weakly (the tracker holds the handle, which holds the
// notifier) and the completion counter strongly, so an engine that outlives them is harmless.
StatusOr<std::shared_ptr<Tracked>> SubmitTracked(Engine& engine, EngineRequest request,
                                                 const base::Clock& clock,
                                                 const std::shared_ptr<Completions>& completions) {
  auto tracked = std::make_shared<Tracked>();
  std::weak_ptr<Tracked> weak = tracked;
  request.on_events = [weak, &clock, completions] {
    if (std::shared_ptr<Tracked> t = weak.lock()) Drain(*t, clock, *completions);
  };
  TF_ASSIGN_OR_RETURN(RequestHandle handle, engine.Submit(std::move(request)));
  {
    absl::MutexLock lock(&tracked->mu);
    tracked->handle = std::move(handle);
  }
  Drain(*tracked, clock, *completions);
  return tracked;
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t i = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  return values[i];
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

std::vector<Token> RandomTokens(base::Random& rng, int32_t n, int32_t vocab) {
  // Ids from the body of the vocabulary: ordinary text tokens in every vocabulary we ship.
  const int32_t lo = std::min(1000, vocab / 4);
  const int32_t hi = std::min(30000, vocab);
  std::vector<Token> tokens(static_cast<size_t>(n));
  for (Token& t : tokens) t = lo + static_cast<Token>(rng.Below(static_cast<uint64_t>(hi - lo)));
  return tokens;
}

EngineRequest GreedyRequest(std::vector<Token> prompt, int32_t gen_tokens) {
  EngineRequest r;
  r.prompt = std::move(prompt);
  r.sampling.temperature = 0;
  r.sampling.max_tokens = gen_tokens;
  r.ignore_eos = true;
  return r;
}

StatusOr<std::unique_ptr<Engine>> StartEngine(const model::Model& model,
                                              const EngineBenchOptions& options, int32_t running,
                                              int32_t context_tokens, int32_t extra_blocks,
                                              bool prefix_caching) {
  const int64_t n_ctx = model.config().n_ctx_train;
  if (n_ctx > 0 && context_tokens > n_ctx) {
    return absl::InvalidArgumentError(
        fmt::format("the workload needs {} tokens of context; the model was trained on {}",
                    context_tokens, n_ctx));
  }
  SchedulerConfig config;
  config.block_size = options.block_size;
  const int32_t per_request = (context_tokens + options.block_size - 1) / options.block_size;
  config.num_kv_blocks = running * per_request + extra_blocks + 1;
  config.max_context_tokens = context_tokens;
  config.max_running_sequences = running;
  config.max_batch_tokens =
      options.max_batch_tokens > 0 ? options.max_batch_tokens : std::max(2048, running);
  config.max_prefill_chunk_tokens = config.max_batch_tokens;
  config.enable_prefix_caching = prefix_caching;
  config.admission_reserve_blocks = 0;
  TF_ASSIGN_OR_RETURN(std::unique_ptr<ModelExecutor> executor,
                      ModelExecutor::Create(model, config, options.executor));
  EngineOptions engine_options;
  engine_options.scheduler = config;
  engine_options.max_waiting_requests = std::max(1024, running);
  TF_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine,
                      Engine::Create(engine_options, std::move(executor), model.tokenizer(),
                                     base::RealClock::Get()));
  engine->Start();
  return engine;
}

// Runs one request to its end (warm-up).
Status RunOne(Engine& engine, EngineRequest request) {
  TF_ASSIGN_OR_RETURN(RequestHandle handle, engine.Submit(std::move(request)));
  const std::vector<EngineEvent> events = handle.Wait();
  const EngineEvent& end = events.back();
  if (end.finish_reason == FinishReason::kError) return end.status;
  return absl::OkStatus();
}

// The throughput figures of finished `requests` submitted at `start` (see the header).
StatusOr<ThroughputResult> Summarize(const std::vector<std::shared_ptr<Tracked>>& requests,
                                     int64_t start, int32_t concurrency, int32_t prompt_tokens,
                                     int32_t gen_tokens) {
  ThroughputResult result;
  result.concurrency = concurrency;
  result.prompt_tokens = prompt_tokens;
  result.gen_tokens = gen_tokens;
  int64_t all_decoding = 0;       // the last first token
  int64_t first_end = INT64_MAX;  // the first last token
  int64_t last_end = start;
  int64_t generated = 0;
  std::vector<double> ttft, tpot;
  for (const auto& t : requests) {
    if (t->finish.finish_reason == FinishReason::kError) return t->finish.status;
    if (t->token_us.empty()) return absl::InternalError("a request generated nothing");
    all_decoding = std::max(all_decoding, t->token_us.front());
    first_end = std::min(first_end, t->token_us.back());
    last_end = std::max(last_end, t->token_us.back());
    generated += static_cast<int64_t>(t->token_us.size());
    ttft.push_back(t->finish.timings.ttft_us / 1000.0);
    if (t->finish.timings.tpot_us >= 0) tpot.push_back(t->finish.timings.tpot_us / 1000.0);
  }
  int64_t in_window = 0;
  for (const auto& t : requests) {
    for (int64_t us : t->token_us) in_window += us > all_decoding && us <= first_end ? 1 : 0;
  }
  if (first_end > all_decoding) {
    result.decode_tokens_per_s =
        static_cast<double>(in_window) / (static_cast<double>(first_end - all_decoding) * 1e-6);
  }
  result.wall_s = static_cast<double>(last_end - start) * 1e-6;
  result.generated_tokens_per_s = result.wall_s > 0 ? generated / result.wall_s : 0;
  result.ttft_ms = Mean(ttft);
  result.ttft_p90_ms = Percentile(ttft, 0.9);
  result.tpot_ms = Mean(tpot);
  return result;
}

}  // namespace

StatusOr<ThroughputResult> RunThroughputBench(const model::Model& model,
                                              const EngineBenchOptions& options,
                                              int32_t concurrency, int32_t prompt_tokens,
                                              int32_t gen_tokens) {
  if (concurrency < 1 || prompt_tokens < 1 || gen_tokens < 2) {
    return absl::InvalidArgumentError(
        "the throughput bench needs concurrency >= 1, prompt tokens >= 1, gen tokens >= 2");
  }
  TF_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine,
                      StartEngine(model, options, concurrency, prompt_tokens + gen_tokens,
                                  /*extra_blocks=*/0, /*prefix_caching=*/true));
  const int32_t vocab = engine->executor().vocab_size();
  base::Random rng(options.seed);
  TF_RETURN_IF_ERROR(
      RunOne(*engine, GreedyRequest(RandomTokens(rng, std::min(prompt_tokens, 32), vocab), 2)));

  const base::Clock& clock = base::RealClock::Get();
  auto completions = std::make_shared<Completions>();
  std::vector<std::shared_ptr<Tracked>> requests;
  std::vector<std::vector<Token>> prompts;
  for (int32_t i = 0; i < concurrency; ++i) {
    prompts.push_back(RandomTokens(rng, prompt_tokens, vocab));
  }
  const int64_t start = clock.NowMicros();
  for (int32_t i = 0; i < concurrency; ++i) {
    TF_ASSIGN_OR_RETURN(
        std::shared_ptr<Tracked> t,
        SubmitTracked(*engine, GreedyRequest(prompts[i], gen_tokens), clock, completions));
    requests.push_back(std::move(t));
  }
  completions->WaitFor(concurrency);
  engine->Shutdown();

  return Summarize(requests, start, concurrency, prompt_tokens, gen_tokens);
}

StatusOr<SharedPrefixResult> RunSharedPrefixBench(const model::Model& model,
                                                  const EngineBenchOptions& options,
                                                  const SharedPrefixOptions& workload,
                                                  bool prefix_caching) {
  if (workload.prefix_tokens < 1 || workload.suffix_tokens < 1 || workload.gen_tokens < 1 ||
      workload.requests < 1 || workload.concurrency < 1) {
    return absl::InvalidArgumentError("every shared-prefix workload parameter must be positive");
  }
  const int32_t context = workload.prefix_tokens + workload.suffix_tokens + workload.gen_tokens;
  const int32_t prefix_blocks = workload.prefix_tokens / options.block_size + 1;
  TF_ASSIGN_OR_RETURN(
      std::unique_ptr<Engine> engine,
      StartEngine(model, options, workload.concurrency, context, prefix_blocks, prefix_caching));
  const int32_t vocab = engine->executor().vocab_size();
  base::Random rng(options.seed);
  const std::vector<Token> system = RandomTokens(rng, workload.prefix_tokens, vocab);
  auto prompt = [&] {
    std::vector<Token> p = system;
    const std::vector<Token> own = RandomTokens(rng, workload.suffix_tokens, vocab);
    p.insert(p.end(), own.begin(), own.end());
    return p;
  };
  TF_RETURN_IF_ERROR(RunOne(*engine, GreedyRequest(prompt(), workload.gen_tokens)));

  const base::Clock& clock = base::RealClock::Get();
  auto completions = std::make_shared<Completions>();
  std::vector<std::shared_ptr<Tracked>> requests;
  const int64_t start = clock.NowMicros();
  for (int32_t i = 0; i < workload.requests; ++i) {
    if (i >= workload.concurrency) completions->WaitFor(i - workload.concurrency + 1);
    TF_ASSIGN_OR_RETURN(
        std::shared_ptr<Tracked> t,
        SubmitTracked(*engine, GreedyRequest(prompt(), workload.gen_tokens), clock, completions));
    requests.push_back(std::move(t));
  }
  completions->WaitFor(workload.requests);
  const int64_t end = clock.NowMicros();
  engine->Shutdown();

  SharedPrefixResult result;
  result.prefix_caching = prefix_caching;
  std::vector<double> ttft;
  int64_t cached = 0, prompted = 0;
  for (const auto& t : requests) {
    if (t->finish.finish_reason == FinishReason::kError) return t->finish.status;
    ttft.push_back(t->finish.timings.ttft_us / 1000.0);
    cached += t->finish.usage.cached_prompt_tokens;
    prompted += t->finish.usage.prompt_tokens;
  }
  result.ttft_ms = Mean(ttft);
  result.ttft_p50_ms = Percentile(ttft, 0.5);
  result.ttft_p90_ms = Percentile(ttft, 0.9);
  result.cached_prompt_fraction = prompted > 0 ? static_cast<double>(cached) / prompted : 0;
  result.wall_s = static_cast<double>(end - start) * 1e-6;
  return result;
}

}  // namespace tokenfab::bench
