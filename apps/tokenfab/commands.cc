// The list of subcommands, in the order `tokenfab --help` shows them.
#include <vector>

#include "command.h"

namespace tokenfab::cli {

Command AddBenchCommand(CLI::App& app);

std::vector<Command> AddAllCommands(CLI::App& app) {
  std::vector<Command> commands;
  commands.push_back(AddBenchCommand(app));
  return commands;
}

}  // namespace tokenfab::cli
