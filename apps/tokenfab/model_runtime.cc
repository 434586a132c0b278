#include "model_runtime.h"

#include <algorithm>

#include <fmt/format.h>

#include "tokenfab/base/thread_pool.h"
#include "tokenfab/kernels/cpu_features.h"

namespace tokenfab::cli {

void AddRuntimeFlags(CLI::App& command, RuntimeFlags& flags, int64_t default_context) {
  command.add_option("-m,--model", flags.model, "GGUF model file")->required();
  command.add_option("-t,--threads", flags.threads, "Compute threads (default: every core)");
  command.add_option("-c,--context", flags.context,
                     fmt::format("Context length in tokens (default {}, at most the model's)",
                                 default_context));
  command.add_option("--kv-type", flags.kv_type, "KV cache element type")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
  command.add_option("--kernels", flags.kernels, "Instruction set: auto, avx512, avx2 or scalar")
      ->check(CLI::IsMember({"auto", "avx512", "avx2", "scalar"}))
      ->capture_default_str();
}

StatusOr<Runtime> LoadRuntime(const RuntimeFlags& flags, int64_t default_context) {
  kernels::IsaLevel level = kernels::DefaultIsaLevel();
  if (flags.kernels != "auto") {
    level = *kernels::ParseIsaLevel(flags.kernels);
    if (!kernels::IsaLevelSupported(level)) {
      return absl::FailedPreconditionError(
          fmt::format("this CPU does not support the {} kernels", flags.kernels));
    }
  }
  if (flags.threads < 0) return absl::InvalidArgumentError("--threads must be positive");
  const int threads = flags.threads > 0 ? flags.threads : base::ThreadPool::HardwareThreads();
  Runtime runtime;
  TF_ASSIGN_OR_RETURN(runtime.model, model::Model::Load(flags.model));
  const model::ModelConfig& config = runtime.model->config();
  const int64_t wanted = flags.context > 0 ? flags.context : default_context;
  runtime.context = std::min(wanted, config.n_ctx_train);
  const engine::KvCacheShape shape = engine::KvCacheShape::ForModel(
      config, 16, (runtime.context + 15) / 16,
      flags.kv_type == "f32" ? kernels::GgmlType::kF32 : kernels::GgmlType::kF16);
  runtime.kv = std::make_unique<engine::KvCacheStorage>(shape);
  runtime.runner =
      std::make_unique<engine::ModelRunner>(*runtime.model, *runtime.kv, threads, level);
  return runtime;
}

}  // namespace tokenfab::cli
