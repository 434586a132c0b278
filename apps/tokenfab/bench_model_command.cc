// `tokenfab bench model`: prefill and decode tokens/s of one model on this machine, measured as
// llama-bench measures them (see bench/model_bench.h), so the two can be put side by side.
//
//   tokenfab bench model -m model.gguf -t 2 --prompt-tokens 512 --gen-tokens 128 -r 5 --json
#include <memory>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench_command.h"
#include "model_runtime.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/bench/model_bench.h"
#include "tokenfab/kernels/cpu_features.h"
#include "tokenfab/model/model_info.h"

namespace tokenfab::cli {
namespace {

struct BenchModelFlags {
  RuntimeFlags runtime;
  bench::ModelBenchOptions options;
  bool json = false;
};

std::string FileType(const model::Model& model) { return model::WeightTypeLabel(model.file()); }

int RunBenchModel(const BenchModelFlags& flags) {
  const int64_t context = std::max(flags.options.prompt_tokens, flags.options.gen_tokens);
  RuntimeFlags runtime_flags = flags.runtime;
  runtime_flags.context = std::max<int64_t>(runtime_flags.context, context);
  StatusOr<Runtime> runtime = LoadRuntime(runtime_flags, context);
  if (!runtime.ok()) {
    fmt::print(stderr, "tokenfab bench model: {}\n", runtime.status().message());
    return kExitFailure;
  }
  StatusOr<bench::ModelBenchResult> result = bench::RunModelBench(
      *runtime->runner, runtime->kv->shape(), flags.options, base::RealClock::Get());
  if (!result.ok()) {
    fmt::print(stderr, "tokenfab bench model: {}\n", result.status().message());
    return kExitFailure;
  }
  const model::Model& model = *runtime->model;
  const std::string isa(kernels::IsaLevelName(runtime->runner->level()));
  if (flags.json) {
    fmt::print(
        "{{\"model\": \"{}\", \"type\": \"{}\", \"threads\": {}, \"kernels\": \"{}\", "
        "\"prompt_tokens\": {}, \"gen_tokens\": {}, \"repetitions\": {}, "
        "\"prefill_tokens_per_s\": {:.3f}, \"prefill_stddev\": {:.3f}, "
        "\"decode_tokens_per_s\": {:.3f}, \"decode_stddev\": {:.3f}, "
        "\"decode_weight_bytes\": {}, \"decode_gb_per_s\": {:.3f}, "
        "\"prefill_samples\": [{:.3f}], \"decode_samples\": [{:.3f}]}}\n",
        model.path(), FileType(model), runtime->runner->num_threads(), isa,
        flags.options.prompt_tokens, flags.options.gen_tokens, flags.options.repetitions,
        result->prefill.mean, result->prefill.stddev, result->decode.mean, result->decode.stddev,
        result->decode_weight_bytes, result->decode_bytes_per_s / 1e9,
        fmt::join(result->prefill.samples, ", "), fmt::join(result->decode.samples, ", "));
    return kExitOk;
  }
  fmt::print("model      {} ({}, {:.2f} GiB of weights read per token)\n", model.path(),
             FileType(model), result->decode_weight_bytes / double(1 << 30));
  fmt::print("threads    {} ({} kernels)\n", runtime->runner->num_threads(), isa);
  if (flags.options.prompt_tokens > 0) {
    fmt::print("pp{:<7} {:10.2f} ± {:.2f} tokens/s\n", flags.options.prompt_tokens,
               result->prefill.mean, result->prefill.stddev);
  }
  if (flags.options.gen_tokens > 0) {
    fmt::print("tg{:<7} {:10.2f} ± {:.2f} tokens/s  ({:.2f} GB/s of weights)\n",
               flags.options.gen_tokens, result->decode.mean, result->decode.stddev,
               result->decode_bytes_per_s / 1e9);
  }
  return kExitOk;
}

}  // namespace

Command AddBenchModelSubcommand(CLI::App& bench) {
  auto flags = std::make_shared<BenchModelFlags>();
  CLI::App* cmd =
      bench.add_subcommand("model", "Prefill and decode speed of a model (llama-bench style)");
  AddRuntimeFlags(*cmd, flags->runtime, 512);
  cmd->add_option("-p,--prompt-tokens", flags->options.prompt_tokens, "Prompt length (0: skip)")
      ->capture_default_str();
  cmd->add_option("-n,--gen-tokens", flags->options.gen_tokens, "Tokens to generate (0: skip)")
      ->capture_default_str();
  cmd->add_option("-r,--repetitions", flags->options.repetitions, "Timed runs of each test")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "Print one JSON object");
  return Command{cmd, [flags] { return RunBenchModel(*flags); }};
}

}  // namespace tokenfab::cli
