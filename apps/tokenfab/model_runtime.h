// The flags every command that runs a model shares (--model, --threads, --context, --kv-type,
// --kernels) and the one place that turns them into a loaded model, a KV cache and a runner.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/model/model.h"

namespace tokenfab::cli {

struct RuntimeFlags {
  std::string model;
  int threads = 0;           // 0: one per hardware thread
  int64_t context = 0;       // 0: the command's default
  std::string kv_type = "f16";
  std::string kernels = "auto";
};

// Adds the flags to `command`; `default_context` is shown as the --context default.
void AddRuntimeFlags(CLI::App& command, RuntimeFlags& flags, int64_t default_context);

struct Runtime {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<engine::KvCacheStorage> kv;
  std::unique_ptr<engine::ModelRunner> runner;
  int64_t context = 0;  // tokens the KV cache holds for one sequence
};

// Loads the model and sizes a KV cache for one sequence of `context` tokens (the flag's value,
// else `default_context`, capped at the model's training context).
[[nodiscard]] StatusOr<Runtime> LoadRuntime(const RuntimeFlags& flags, int64_t default_context);

}  // namespace tokenfab::cli
