// The list of subcommands, in the order `tokenfab --help` shows them.
#include <vector>

#include "command.h"

namespace tokenfab::cli {

std::vector<Command> AddAllCommands(CLI::App& app) {
  std::vector<Command> commands;
  return commands;
}

}  // namespace tokenfab::cli
