// `tokenfab bench engine`: the serving engine in process on a model file: aggregate decode
// throughput and TTFT/TPOT at several concurrencies, and TTFT on a shared-system-prompt workload
// with the prefix cache on and off (bench/engine_bench.h); with --profile OUT.json, the step-time
// profile the twin reads instead: CalibratePerformanceModel's fit of the runner's step time by
// prefill tokens, decode sequences and KV length (sim/step_profile.h).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "bench_command.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/bench/engine_bench.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/engine/performance_model.h"
#include "tokenfab/kernels/cpu_features.h"
#include "tokenfab/model/model.h"
#include "tokenfab/sim/step_profile.h"

namespace tokenfab::cli {
namespace {

struct EngineBenchFlags {
  std::string model;
  int threads = 0;
  std::string kv_type = "f16";
  std::string kernels = "auto";
  std::vector<int> concurrency = {1, 4, 16, 64};
  int prompt_tokens = 128;
  int gen_tokens = 128;
  std::string workload = "all";
  bench::SharedPrefixOptions shared;
  int batch_tokens = 0;
  bool batch_invariant = false;
  bool json = false;
  std::string profile;  // --profile OUT.json
  int profile_repetitions = 3;
};

int Fail(const Status& status) {
  std::fprintf(stderr, "tokenfab bench engine: %s\n", std::string(status.message()).c_str());
  return kExitFailure;
}

StatusOr<bench::EngineBenchOptions> BenchOptions(const EngineBenchFlags& flags) {
  bench::EngineBenchOptions options;
  kernels::IsaLevel level = kernels::DefaultIsaLevel();
  if (flags.kernels != "auto") {
    level = *kernels::ParseIsaLevel(flags.kernels);
    if (!kernels::IsaLevelSupported(level)) {
      return absl::FailedPreconditionError(
          fmt::format("this CPU does not support the {} kernels", flags.kernels));
    }
  }
  if (flags.threads < 0) return absl::InvalidArgumentError("--threads must be positive");
  options.executor.num_threads =
      flags.threads > 0 ? flags.threads : base::ThreadPool::HardwareThreads();
  options.executor.isa = level;
  options.executor.kv_type =
      flags.kv_type == "f32" ? kernels::GgmlType::kF32 : kernels::GgmlType::kF16;
  options.executor.batch_invariant = flags.batch_invariant;
  options.max_batch_tokens = flags.batch_tokens;
  return options;
}

// Measures the runner's step time on a KV pool of up to 4096 tokens and writes the profile.
int RunProfile(const EngineBenchFlags& flags, const bench::EngineBenchOptions& options,
               const model::Model& model) {
  const engine::KvCacheShape shape =
      engine::CalibrationKvShape(model.config(), options.executor.kv_type);
  engine::KvCacheStorage storage(shape);
  engine::ModelRunner runner(model, storage, options.executor.num_threads, options.executor.isa);
  StatusOr<engine::CalibrationResult> result = engine::CalibratePerformanceModel(
      runner, shape, base::RealClock::Get(), flags.profile_repetitions);
  if (!result.ok()) return Fail(result.status());
  const Status written = sim::WriteStepProfile(flags.profile, *result, flags.model);
  if (!written.ok()) return Fail(written);
  std::printf("step-time profile %s: %s (%zu shapes, max relative error %.1f%%)\n",
              flags.profile.c_str(), result->model.ToString().c_str(), result->points.size(),
              result->max_relative_error * 100);
  return kExitOk;
}

// The throughput workload at each concurrency: a table row each, or JSON objects into `json`.
Status RunThroughput(const EngineBenchFlags& flags, const bench::EngineBenchOptions& options,
                     const model::Model& model, boost::json::array& json) {
  if (!flags.json) {
    std::printf("throughput: %d prompt + %d generated tokens per request, %d threads\n",
                flags.prompt_tokens, flags.gen_tokens, options.executor.num_threads);
    std::printf("%11s %14s %14s %9s %9s %9s\n", "concurrency", "decode tok/s", "e2e gen tok/s",
                "TTFT ms", "TTFT p90", "TPOT ms");
  }
  for (int n : flags.concurrency) {
    std::fprintf(stderr, "running concurrency %d...\n", n);
    const StatusOr<bench::ThroughputResult> r =
        bench::RunThroughputBench(model, options, n, flags.prompt_tokens, flags.gen_tokens);
    if (!r.ok()) return r.status();
    if (flags.json) {
      json.push_back(boost::json::object{{"workload", "throughput"},
                                         {"concurrency", r->concurrency},
                                         {"prompt_tokens", r->prompt_tokens},
                                         {"gen_tokens", r->gen_tokens},
                                         {"decode_tokens_per_s", r->decode_tokens_per_s},
                                         {"generated_tokens_per_s", r->generated_tokens_per_s},
                                         {"ttft_ms", r->ttft_ms},
                                         {"ttft_p90_ms", r->ttft_p90_ms},
                                         {"tpot_ms", r->tpot_ms},
                                         {"wall_s", r->wall_s}});
    } else {
      std::printf("%11d %14.1f %14.1f %9.1f %9.1f %9.2f\n", r->concurrency, r->decode_tokens_per_s,
                  r->generated_tokens_per_s, r->ttft_ms, r->ttft_p90_ms, r->tpot_ms);
      std::fflush(stdout);
    }
  }
  return absl::OkStatus();
}

// The shared-prefix workload with the prefix cache on, then off.
Status RunSharedPrefix(const EngineBenchFlags& flags, const bench::EngineBenchOptions& options,
                       const model::Model& model, boost::json::array& json) {
  const bench::SharedPrefixOptions& w = flags.shared;
  if (!flags.json) {
    std::printf(
        "shared prefix: %d requests, %d in flight, %d-token system prompt + %d own tokens, "
        "%d generated\n",
        w.requests, w.concurrency, w.prefix_tokens, w.suffix_tokens, w.gen_tokens);
    std::printf("%13s %9s %9s %9s %13s %8s\n", "prefix cache", "TTFT ms", "p50", "p90",
                "cached share", "wall s");
  }
  double ttft[2] = {0, 0};
  for (bool caching : {true, false}) {
    std::fprintf(stderr, "running shared prefix, prefix cache %s...\n", caching ? "on" : "off");
    const StatusOr<bench::SharedPrefixResult> r =
        bench::RunSharedPrefixBench(model, options, w, caching);
    if (!r.ok()) return r.status();
    ttft[caching ? 0 : 1] = r->ttft_ms;
    if (flags.json) {
      json.push_back(boost::json::object{{"workload", "shared-prefix"},
                                         {"concurrency", w.concurrency},
                                         {"prefix_caching", caching},
                                         {"ttft_ms", r->ttft_ms},
                                         {"ttft_p50_ms", r->ttft_p50_ms},
                                         {"ttft_p90_ms", r->ttft_p90_ms},
                                         {"cached_prompt_fraction", r->cached_prompt_fraction},
                                         {"wall_s", r->wall_s}});
    } else {
      std::printf("%13s %9.1f %9.1f %9.1f %12.1f%% %8.1f\n", caching ? "on" : "off", r->ttft_ms,
                  r->ttft_p50_ms, r->ttft_p90_ms, 100 * r->cached_prompt_fraction, r->wall_s);
      std::fflush(stdout);
    }
  }
  if (!flags.json && ttft[0] > 0) {
    std::printf("TTFT without / with the prefix cache: %.1fx\n", ttft[1] / ttft[0]);
  }
  return absl::OkStatus();
}

int Run(const EngineBenchFlags& flags) {
  const StatusOr<bench::EngineBenchOptions> options = BenchOptions(flags);
  if (!options.ok()) return Fail(options.status());
  StatusOr<std::unique_ptr<model::Model>> model = model::Model::Load(flags.model);
  if (!model.ok()) return Fail(model.status());
  if (!flags.profile.empty()) return RunProfile(flags, *options, **model);
  boost::json::array json;
  if (flags.workload != "shared-prefix") {
    const Status status = RunThroughput(flags, *options, **model, json);
    if (!status.ok()) return Fail(status);
  }
  if (flags.workload != "throughput") {
    const Status status = RunSharedPrefix(flags, *options, **model, json);
    if (!status.ok()) return Fail(status);
  }
  if (flags.json) std::printf("%s\n", boost::json::serialize(json).c_str());
  return kExitOk;
}

}  // namespace

Command AddBenchEngineSubcommand(CLI::App& bench) {
  auto flags = std::make_shared<EngineBenchFlags>();
  CLI::App* app = bench.add_subcommand(
      "engine", "Benchmark the serving engine in process: throughput and shared-prefix TTFT");
  app->add_option("-m,--model", flags->model, "GGUF model file")->required();
  app->add_option("-t,--threads", flags->threads, "Compute threads (default: every core)");
  app->add_option("--kv-type", flags->kv_type, "KV cache element type")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
  app->add_option("--kernels", flags->kernels, "Instruction set: auto, avx512, avx2 or scalar")
      ->check(CLI::IsMember({"auto", "avx512", "avx2", "scalar"}))
      ->capture_default_str();
  app->add_option("--concurrency", flags->concurrency, "Requests in flight, one run each")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--prompt-tokens", flags->prompt_tokens, "Prompt tokens per request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--gen-tokens", flags->gen_tokens, "Generated tokens per request")
      ->check(CLI::Range(2, 1 << 20))
      ->capture_default_str();
  app->add_option("--workload", flags->workload, "throughput, shared-prefix or all")
      ->check(CLI::IsMember({"throughput", "shared-prefix", "all"}))
      ->capture_default_str();
  app->add_option("--prefix-tokens", flags->shared.prefix_tokens,
                  "Shared prefix: tokens of the common system prompt")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--suffix-tokens", flags->shared.suffix_tokens,
                  "Shared prefix: tokens of each request's own part")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--prefix-requests", flags->shared.requests, "Shared prefix: requests measured")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--prefix-concurrency", flags->shared.concurrency,
                  "Shared prefix: requests in flight")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--prefix-gen-tokens", flags->shared.gen_tokens,
                  "Shared prefix: tokens generated per request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--batch-tokens", flags->batch_tokens,
                  "Token budget per step (default: max(2048, concurrency))")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--batch-invariant", flags->batch_invariant,
                "Batch-invariant kernels (a request's output independent of its batch)");
  app->add_flag("--json", flags->json, "Print one JSON list of results on stdout");
  app->add_option("--profile", flags->profile,
                  "Instead of the workloads, measure the step time by prefill tokens, decode "
                  "sequences and KV length and write the twin's step-time profile (JSON) here");
  app->add_option("--profile-repetitions", flags->profile_repetitions,
                  "Runs per measured shape for --profile (the fastest counts)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return Command{app, [flags] { return Run(*flags); }};
}

}  // namespace tokenfab::cli
