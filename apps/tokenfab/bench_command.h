// `tokenfab bench`: the parent of the benchmark subcommands. Each subcommand lives in its own
// file, bench_<name>_command.cc, and registers itself on the parent through one function below;
// bench_command.cc calls them all and runs the one the user chose.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace tokenfab::cli {

// `tokenfab bench serve`: load-test any OpenAI-compatible server (bench_serve_command.cc).
Command AddBenchServeSubcommand(CLI::App& bench);
// `tokenfab bench model`: prefill and decode speed of one model file (bench_model_command.cc).
Command AddBenchModelSubcommand(CLI::App& bench);
// `tokenfab bench engine`: the serving engine in process on a model (bench_engine_command.cc).
Command AddBenchEngineSubcommand(CLI::App& bench);

}  // namespace tokenfab::cli
