// `tokenfab perplexity`: a model's perplexity on a text file, computed as llama.cpp's
// llama-perplexity does (see bench/perplexity.h), so the two can be compared on any file.
//
//   tokenfab perplexity -m model.gguf -f wiki.test.raw -c 512
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "command.h"
#include "model_runtime.h"
#include "tokenfab/bench/perplexity.h"

namespace tokenfab::cli {
namespace {

struct PerplexityFlags {
  RuntimeFlags runtime;
  std::string file;
  int64_t batch = 512;
  int64_t chunks = -1;
  bool json = false;
};

constexpr int64_t kDefaultContext = 512;

int RunPerplexity(const PerplexityFlags& flags) {
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "tokenfab perplexity: cannot read {}\n", flags.file);
    return kExitFailure;
  }
  std::stringstream text;
  text << in.rdbuf();
  StatusOr<Runtime> runtime = LoadRuntime(flags.runtime, kDefaultContext);
  if (!runtime.ok()) {
    fmt::print(stderr, "tokenfab perplexity: {}\n", runtime.status().message());
    return kExitFailure;
  }
  // As llama-perplexity: special tokens added (BOS), special-token text not parsed.
  const std::vector<int32_t> tokens =
      runtime->model->tokenizer().Encode(text.str(), /*add_special=*/true, /*parse_special=*/false);
  bench::PerplexityOptions options;
  options.context = runtime->context;
  options.batch = std::min(flags.batch, runtime->context);
  options.max_chunks = flags.chunks;
  options.progress = [](int64_t done, int64_t total, double ppl) {
    fmt::print(stderr, "[{}/{}] {:.4f}\n", done, total, ppl);
  };
  fmt::print(stderr, "{} tokens, context {}, {} threads\n", tokens.size(), options.context,
             runtime->runner->num_threads());
  StatusOr<bench::PerplexityResult> result =
      bench::ComputePerplexity(*runtime->runner, runtime->kv->shape(), tokens, options);
  if (!result.ok()) {
    fmt::print(stderr, "tokenfab perplexity: {}\n", result.status().message());
    return kExitFailure;
  }
  if (flags.json) {
    fmt::print("{{\"perplexity\": {:.6f}, \"error\": {:.6f}, \"chunks\": {}, \"context\": {}, "
               "\"scored_tokens\": {}}}\n",
               result->perplexity, result->perplexity_error, result->chunks, options.context,
               result->scored_tokens);
  } else {
    fmt::print("PPL = {:.4f} +/- {:.5f} ({} chunks of {} tokens)\n", result->perplexity,
               result->perplexity_error, result->chunks, options.context);
  }
  return kExitOk;
}

}  // namespace

Command AddPerplexityCommand(CLI::App& app) {
  auto flags = std::make_shared<PerplexityFlags>();
  CLI::App* cmd = app.add_subcommand("perplexity", "Perplexity of a model on a text file");
  AddRuntimeFlags(*cmd, flags->runtime, kDefaultContext);
  cmd->add_option("-f,--file", flags->file, "Text file")->required();
  cmd->add_option("-b,--batch", flags->batch, "Tokens per forward pass")->capture_default_str();
  cmd->add_option("--chunks", flags->chunks, "Evaluate at most this many chunks (-1: all)")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "Print the result as JSON");
  return Command{cmd, [flags] { return RunPerplexity(*flags); }};
}

}  // namespace tokenfab::cli
