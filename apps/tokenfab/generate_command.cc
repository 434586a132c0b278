// `tokenfab generate`: stream a model's continuation of a prompt (or its answer to a chat
// message) to stdout, and only that; prompt and generation speed go to stderr.
//
//   tokenfab generate -m model.gguf -p "Once upon a time" -n 64 --temperature 0
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "command.h"
#include "model_runtime.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/random.h"
#include "tokenfab/bench/generator.h"
#include "tokenfab/tokenizer/chat_prompt.h"

namespace tokenfab::cli {
namespace {

struct GenerateFlags {
  RuntimeFlags runtime;
  std::string prompt;
  std::string chat;
  std::string system;
  std::string chat_template;
  int max_tokens = 128;
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int repeat_last_n = 64;
  std::optional<uint64_t> seed;
  int64_t batch = 512;
};

constexpr int64_t kDefaultContext = 4096;

StatusOr<std::vector<int32_t>> PromptTokens(const GenerateFlags& flags,
                                            const model::Model& model) {
  const tokenizer::Tokenizer& tokenizer = model.tokenizer();
  if (!flags.chat.empty()) {
    TF_ASSIGN_OR_RETURN(tokenizer::ChatTemplate chat_template,
                        tokenizer::ResolveChatTemplate(tokenizer.vocab().chat_template,
                                                       flags.chat_template));
    std::vector<tokenizer::ChatMessage> messages;
    if (!flags.system.empty()) messages.emplace_back("system", flags.system);
    messages.emplace_back("user", flags.chat);
    return tokenizer::EncodeChat(tokenizer, chat_template, messages, {});
  }
  // As llama.cpp does for a raw prompt: BOS as the vocabulary says, control-token text parsed.
  return tokenizer.Encode(flags.prompt, /*add_special=*/true, /*parse_special=*/true);
}

int RunGenerate(const GenerateFlags& flags) {
  StatusOr<Runtime> runtime = LoadRuntime(flags.runtime, kDefaultContext);
  if (!runtime.ok()) {
    fmt::print(stderr, "tokenfab generate: {}\n", runtime.status().message());
    return kExitFailure;
  }
  StatusOr<std::vector<int32_t>> prompt = PromptTokens(flags, *runtime->model);
  if (!prompt.ok()) {
    fmt::print(stderr, "tokenfab generate: {}\n", prompt.status().message());
    return kExitFailure;
  }
  engine::SamplingParams params;
  params.temperature = flags.temperature;
  params.top_k = flags.top_k;
  params.top_p = flags.top_p;
  params.min_p = flags.min_p;
  params.repetition_penalty = flags.repeat_penalty;
  params.repetition_last_n = flags.repeat_last_n;
  params.max_tokens = flags.max_tokens;
  const uint64_t seed =
      flags.seed.value_or(static_cast<uint64_t>(base::RealClock::Get().WallMicros()));
  bench::Generator generator(*runtime->runner, *runtime->kv, base::RealClock::Get());
  StatusOr<bench::GenerationStats> stats =
      generator.Generate(*prompt, params, seed, flags.batch, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
      });
  if (!stats.ok()) {
    fmt::print(stderr, "tokenfab generate: {}\n", stats.status().message());
    return kExitFailure;
  }
  const double prefill_s = stats->prefill_micros / 1e6;
  const double decode_s = stats->decode_micros / 1e6;
  const int64_t decoded = std::max<int64_t>(0, stats->generated_tokens - 1);
  fmt::print(stderr, "prompt:     {} tokens in {:.1f} ms ({:.1f} tokens/s)\n",
             stats->prompt_tokens, prefill_s * 1e3,
             prefill_s > 0 ? stats->prompt_tokens / prefill_s : 0.0);
  fmt::print(stderr, "generation: {} tokens in {:.1f} ms ({:.1f} tokens/s), finish: {}, seed {}\n",
             stats->generated_tokens, decode_s * 1e3, decode_s > 0 ? decoded / decode_s : 0.0,
             stats->finish_reason, seed);
  return kExitOk;
}

}  // namespace

Command AddGenerateCommand(CLI::App& app) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from a prompt or a chat message");
  AddRuntimeFlags(*cmd, flags->runtime, kDefaultContext);
  auto* prompt = cmd->add_option("-p,--prompt", flags->prompt, "Prompt text (raw, no template)");
  auto* chat = cmd->add_option("--chat", flags->chat,
                               "A user message, rendered with the model's chat template");
  prompt->excludes(chat);
  cmd->add_option("--system", flags->system, "A system message before the --chat message");
  cmd->add_option("--chat-template", flags->chat_template,
                  "Template instead of the model's own: chatml, llama3, llama2, mistral, "
                  "mistral-v7 (needed when the file has none)");
  cmd->add_option("-n,--max-tokens", flags->max_tokens, "Tokens to generate")
      ->capture_default_str();
  cmd->add_option("--temperature,--temp", flags->temperature, "0 picks the likeliest token")
      ->capture_default_str();
  cmd->add_option("--top-k", flags->top_k, "Keep the k likeliest tokens (0: all)")
      ->capture_default_str();
  cmd->add_option("--top-p", flags->top_p, "Keep the smallest set with this much probability")
      ->capture_default_str();
  cmd->add_option("--min-p", flags->min_p, "Drop tokens below this fraction of the likeliest")
      ->capture_default_str();
  cmd->add_option("--repeat-penalty", flags->repeat_penalty, "Penalty for repeated tokens (1: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", flags->repeat_last_n, "Tokens the repeat penalty looks back")
      ->capture_default_str();
  cmd->add_option("-s,--seed", flags->seed, "Random seed (default: from the clock, printed)");
  cmd->add_option("-b,--batch", flags->batch, "Prompt tokens per forward pass")
      ->capture_default_str();
  return Command{cmd, [cmd, flags] {
                   if (flags->prompt.empty() && flags->chat.empty()) {
                     fmt::print(stderr, "tokenfab generate: give --prompt or --chat\n{}",
                                cmd->help());
                     return kExitUsage;
                   }
                   return RunGenerate(*flags);
                 }};
}

}  // namespace tokenfab::cli
