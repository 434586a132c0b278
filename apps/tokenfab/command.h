// The subcommands of the `tokenfab` binary. Each Add*Command() registers one subcommand (with its
// flags) on the top-level CLI11 app and returns what main() runs when the user chose it.
// This layer only parses flags and composes services; the work happens in the libraries.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace tokenfab::cli {

struct Command {
  CLI::App* app;            // the registered subcommand, owned by the parent app
  std::function<int()> run; // returns the process exit code
};

// Exit codes shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (bad file, bad input)
inline constexpr int kExitUsage = 2;    // the command line itself was wrong

}  // namespace tokenfab::cli
