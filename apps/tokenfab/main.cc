// tokenfab: produce, schedule and meter LLM tokens. One binary, one subcommand per role.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::cli {
std::vector<Command> AddAllCommands(CLI::App& app);
}  // namespace tokenfab::cli

int main(int argc, char** argv) {
  CLI::App app{"tokenfab: an LLM token factory. It produces tokens on GGUF models, schedules them\n"
               "across a fleet of nodes and meters every token it sells.",
               "tokenfab"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tokenfab 0.1.0");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (logs go to stderr)")
      ->capture_default_str();

  std::vector<tokenfab::cli::Command> commands = tokenfab::cli::AddAllCommands(app);
  CLI11_PARSE(app, argc, argv);

  if (tokenfab::Status status = tokenfab::base::InitLogging(log_level); !status.ok()) {
    std::fprintf(stderr, "tokenfab: %s\n", std::string(status.message()).c_str());
    return tokenfab::cli::kExitUsage;
  }
  for (const tokenfab::cli::Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return tokenfab::cli::kExitUsage;
}
