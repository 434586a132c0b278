// `tokenfab bench`: the parent of the benchmark subcommands. Each subcommand lives in its own
// file, bench_<name>_command.cc, and registers itself on the parent through one function below;
// bench_command.cc calls them all and runs the one the user chose.
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace tokenfab::cli {

// `tokenfab bench serve`: load-test any OpenAI-compatible server (bench_serve_command.cc).
Command AddBenchServeSubcommand(CLI::App& bench);
Command AddBenchModelSubcommand(CLI::App& bench);

}  // namespace tokenfab::cli
