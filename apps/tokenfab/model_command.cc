// `tokenfab model`: inspect a GGUF file (`model info`) and create a model with random weights and
// a real vocabulary (`model create`). Flag parsing only; the work is in the model library.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/model/model_info.h"
#include "tokenfab/model/model_spec.h"
#include "tokenfab/model/shape_info.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::cli {
namespace {

struct CreateFlags {
  std::string shape = "tiny";
  std::string arch;
  std::string vocab;
  int64_t dim = 0, layers = 0, heads = 0, kv_heads = 0, ffn = 0, context = 0;
  double rope_theta = 0;
  double yarn_factor = 0, yarn_log_multiplier = 0;
  int64_t yarn_original_context = 0;
  bool untied_output = false;
  std::string type = "f16";
  uint64_t seed = 0;
  double init_std = 0.1;
  std::string name;
  int threads = base::ThreadPool::HardwareThreads();
  std::string output;
  // Set when the flag was given, so it overrides the shape.
  CLI::Option *shape_opt, *arch_opt, *vocab_opt, *dim_opt, *layers_opt, *heads_opt, *kv_heads_opt,
      *ffn_opt, *context_opt, *rope_theta_opt, *yarn_factor_opt, *yarn_context_opt, *yarn_log_opt;
};

struct InfoFlags {
  std::string path;
  std::string shape;       // --shape: describe a named shape instead of a file
  int64_t vocab_size = 0;  // --vocab-size: with --shape (0: the shape's vocabulary's size)
  bool json = false;
  bool metadata = false;
  bool tensors = false;
};

int Fail(std::string_view command, const Status& status, int code = kExitFailure) {
  std::fprintf(stderr, "tokenfab model %s: %s\n", std::string(command).c_str(),
               std::string(status.message()).c_str());
  return code;
}

template <typename T>
void Override(const CLI::Option* option, const T& value, T& target) {
  if (option->count() > 0) target = value;
}

// The spec and the vocabulary name the flags describe: the named shape (with --arch alone, that
// architecture's small default shape), then explicit flags.
StatusOr<model::ModelSpec> BuildSpec(const CreateFlags& f, std::string* vocab_name) {
  std::string shape_name = f.shape;
  if (f.shape_opt->count() == 0 && f.arch_opt->count() > 0) {
    TF_ASSIGN_OR_RETURN(model::Architecture arch, model::ParseArchitecture(f.arch));
    shape_name = std::string(model::DefaultShapeName(arch));
  }
  TF_ASSIGN_OR_RETURN(model::NamedShape named, model::FindNamedShape(shape_name));
  model::ModelSpec spec;
  spec.arch = named.arch;
  spec.shape = named.shape;
  *vocab_name = std::string(named.vocab);
  if (f.arch_opt->count() > 0) {
    TF_ASSIGN_OR_RETURN(spec.arch, model::ParseArchitecture(f.arch));
  }
  Override(f.vocab_opt, f.vocab, *vocab_name);
  const std::vector<std::string>& known = tokenizer::KnownVocabNames();
  if (std::find(known.begin(), known.end(), *vocab_name) == known.end()) {
    return absl::InvalidArgumentError(
        fmt::format("unknown vocabulary '{}'; known: {}", *vocab_name, fmt::join(known, ", ")));
  }
  bool custom = false;
  for (const CLI::Option* option :
       {f.dim_opt, f.layers_opt, f.heads_opt, f.kv_heads_opt, f.ffn_opt, f.context_opt,
        f.rope_theta_opt, f.yarn_factor_opt, f.yarn_context_opt, f.yarn_log_opt}) {
    custom = custom || option->count() > 0;
  }
  Override(f.dim_opt, f.dim, spec.shape.dim);
  Override(f.layers_opt, f.layers, spec.shape.layers);
  Override(f.heads_opt, f.heads, spec.shape.heads);
  Override(f.kv_heads_opt, f.kv_heads, spec.shape.kv_heads);
  Override(f.ffn_opt, f.ffn, spec.shape.ffn);
  Override(f.context_opt, f.context, spec.shape.context);
  Override(f.rope_theta_opt, f.rope_theta, spec.shape.rope_theta);
  Override(f.yarn_factor_opt, f.yarn_factor, spec.shape.yarn.factor);
  Override(f.yarn_context_opt, f.yarn_original_context, spec.shape.yarn.original_context);
  Override(f.yarn_log_opt, f.yarn_log_multiplier, spec.shape.yarn.log_multiplier);
  if (f.untied_output) spec.shape.tied_embeddings = false;
  TF_ASSIGN_OR_RETURN(spec.weights, model::ParseWeightScheme(f.type));
  spec.seed = f.seed;
  spec.init_std = f.init_std;
  spec.name = !f.name.empty()
                  ? f.name
                  : fmt::format("tokenfab {} {} random ({} vocab, seed {})",
                                custom ? std::string("custom") : shape_name,
                                model::ArchitectureName(spec.arch), *vocab_name, f.seed);
  TF_RETURN_IF_ERROR(spec.Validate());
  return spec;
}

int RunCreate(const CreateFlags& flags) {
  std::string vocab_name;
  StatusOr<model::ModelSpec> spec = BuildSpec(flags, &vocab_name);
  if (!spec.ok()) return Fail("create", spec.status(), kExitUsage);
  StatusOr<std::string> vocab_path = tokenizer::FindVocabFile(vocab_name);
  if (!vocab_path.ok()) return Fail("create", vocab_path.status());
  StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*vocab_path);
  if (!vocab.ok()) return Fail("create", vocab.status());

  base::ThreadPool pool(std::max(1, flags.threads));
  base::Clock& clock = base::RealClock::Get();
  const int64_t start = clock.NowMicros();
  if (Status status = model::CreateModelFile(*spec, *vocab, pool, flags.output); !status.ok()) {
    return Fail("create", status);
  }
  const double seconds = (clock.NowMicros() - start) / 1e6;
  StatusOr<model::GgufFile> file = model::GgufFile::Open(flags.output);
  if (!file.ok()) return Fail("create", file.status());
  const model::ModelSummary summary = model::SummarizeModel(*file);
  std::printf("wrote %s: %s, %lld parameters, %s, %llu bytes in %.1f s\n", flags.output.c_str(),
              std::string(model::ArchitectureName(spec->arch)).c_str(),
              static_cast<long long>(summary.parameters),
              std::string(model::WeightSchemeName(spec->weights)).c_str(),
              static_cast<unsigned long long>(summary.file_size), seconds);
  return kExitOk;
}

// `model info --shape NAME`: the shape's counts, without writing a file.
int RunShapeInfo(const InfoFlags& flags) {
  StatusOr<model::NamedShape> named = model::FindNamedShape(flags.shape);
  if (!named.ok()) return Fail("info", named.status(), kExitUsage);
  int64_t vocab_size = flags.vocab_size;
  if (vocab_size <= 0) {
    StatusOr<std::string> path = tokenizer::FindVocabFile(std::string(named->vocab));
    if (!path.ok()) return Fail("info", path.status());
    StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*path);
    if (!vocab.ok()) return Fail("info", vocab.status());
    vocab_size = static_cast<int64_t>(vocab->tokens.size());
  }
  StatusOr<model::ShapeSummary> summary = model::SummarizeShape(*named, vocab_size);
  if (!summary.ok()) return Fail("info", summary.status());
  const std::string out =
      flags.json ? model::ShapeSummaryToJson(*summary) : model::FormatShapeSummary(*summary);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int RunInfo(const InfoFlags& flags) {
  if (flags.path.empty() == flags.shape.empty()) {
    return Fail("info", absl::InvalidArgumentError("give a GGUF file or --shape NAME (one)"),
                kExitUsage);
  }
  if (!flags.shape.empty()) return RunShapeInfo(flags);
  StatusOr<model::GgufFile> file = model::GgufFile::Open(flags.path);
  if (!file.ok()) return Fail("info", file.status());
  const model::ModelSummary summary = model::SummarizeModel(*file);
  std::string out =
      flags.json ? model::ModelSummaryToJson(summary) : model::FormatModelSummary(summary);
  if (flags.metadata) out += "\nmetadata\n" + model::FormatMetadata(*file);
  if (flags.tensors) out += "\ntensors\n" + model::FormatTensors(*file);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

CLI::App* AddCreate(CLI::App& model, CreateFlags& f) {
  CLI::App* create = model.add_subcommand(
      "create", "Write a model file with seeded random weights and a real vocabulary");
  std::string shapes;
  for (const model::NamedShape& s : model::NamedShapes()) {
    shapes += fmt::format("{}{} ({})", shapes.empty() ? "" : ", ", s.name, s.description);
  }
  f.shape_opt =
      create->add_option("--shape", f.shape, "Named shape: " + shapes)->capture_default_str();
  f.arch_opt =
      create->add_option("--arch", f.arch,
                         "Architecture: " + model::KnownArchitectureNames() +
                             " (alone: that architecture's small default shape, tiny-<arch>)");
  f.vocab_opt = create->add_option("--vocab", f.vocab, "Vocabulary: llama3, llama2, qwen3, gpt2");
  f.dim_opt = create->add_option("--dim", f.dim, "Embedding length");
  f.layers_opt = create->add_option("--layers", f.layers, "Transformer blocks");
  f.heads_opt = create->add_option("--heads", f.heads, "Attention heads");
  f.kv_heads_opt = create->add_option("--kv-heads", f.kv_heads, "Key/value heads");
  f.ffn_opt = create->add_option("--ffn", f.ffn, "Feed-forward hidden length");
  f.context_opt = create->add_option("--context", f.context, "Trained context length");
  f.rope_theta_opt = create->add_option("--rope-theta", f.rope_theta, "RoPE frequency base");
  f.yarn_factor_opt = create->add_option(
      "--yarn-factor", f.yarn_factor,
      "YaRN RoPE scaling: context extension factor (0: none; deepseek-v3 and kimi-k2 carry it)");
  f.yarn_context_opt = create->add_option("--yarn-original-context", f.yarn_original_context,
                                          "YaRN: the original context length");
  f.yarn_log_opt =
      create->add_option("--yarn-log-multiplier", f.yarn_log_multiplier,
                         "YaRN: deepseek2's attention-scale log multiplier (0.1 * mscale_all_dim)");
  create->add_flag("--untied-output", f.untied_output,
                   "Write a separate output.weight instead of reusing token_embd.weight");
  create
      ->add_option("--type", f.type,
                   fmt::format("Type of every 2-D weight: {}",
                               fmt::join(model::AvailableWeightSchemeNames(), ", ")))
      ->capture_default_str();
  create->add_option("--seed", f.seed, "Random seed")->capture_default_str();
  create->add_option("--init-std", f.init_std, "Standard deviation of the random weights")
      ->capture_default_str();
  create->add_option("--name", f.name, "general.name (default: describes the model)");
  create->add_option("--threads", f.threads, "Threads generating weights")->capture_default_str();
  create->add_option("--output,-o", f.output, "The GGUF file to write")->required();
  return create;
}

CLI::App* AddInfo(CLI::App& model, InfoFlags& f) {
  CLI::App* info = model.add_subcommand(
      "info",
      "Show a GGUF file's (or a named shape's) architecture, shape, parameters, tensor types and "
      "vocabulary");
  info->add_option("file", f.path, "GGUF file");
  info->add_option("--shape", f.shape,
                   "Describe a named shape without writing a file (parameters, active "
                   "parameters, experts, KV bytes per token, file size per weight type)");
  info->add_option("--vocab-size", f.vocab_size,
                   "With --shape: vocabulary size (default: the shape's vocabulary's)");
  info->add_flag("--json", f.json, "Print JSON instead of text");
  info->add_flag("--metadata", f.metadata, "Also list every metadata key");
  info->add_flag("--tensors", f.tensors, "Also list every tensor");
  return info;
}

}  // namespace

Command AddModelCommand(CLI::App& app) {
  CLI::App* model = app.add_subcommand("model", "Inspect GGUF files; create demo models");
  model->require_subcommand(1);
  auto create_flags = std::make_shared<CreateFlags>();
  auto info_flags = std::make_shared<InfoFlags>();
  CLI::App* create = AddCreate(*model, *create_flags);
  AddInfo(*model, *info_flags);
  return Command{model, [create, create_flags, info_flags] {
                   return create->parsed() ? RunCreate(*create_flags) : RunInfo(*info_flags);
                 }};
}

}  // namespace tokenfab::cli
