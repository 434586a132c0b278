// The list of subcommands, in the order `tokenfab --help` shows them.
#include <vector>

#include "command.h"

namespace tokenfab::cli {

Command AddModelCommand(CLI::App& app);
Command AddTokenizeCommand(CLI::App& app);
Command AddGenerateCommand(CLI::App& app);
Command AddPerplexityCommand(CLI::App& app);
Command AddBenchCommand(CLI::App& app);
Command AddNodeCommand(CLI::App& app);
Command AddKeysCommand(CLI::App& app);
Command AddUsageCommand(CLI::App& app);
Command AddTenantsCommand(CLI::App& app);
Command AddPricesCommand(CLI::App& app);
Command AddGatewayCommand(CLI::App& app);
Command AddServeCommand(CLI::App& app);
Command AddSimCommand(CLI::App& app);
Command AddPlanCommand(CLI::App& app);

std::vector<Command> AddAllCommands(CLI::App& app) {
  std::vector<Command> commands;
  commands.push_back(AddModelCommand(app));
  commands.push_back(AddTokenizeCommand(app));
  commands.push_back(AddGenerateCommand(app));
  commands.push_back(AddPerplexityCommand(app));
  commands.push_back(AddBenchCommand(app));
  commands.push_back(AddNodeCommand(app));
  commands.push_back(AddKeysCommand(app));
  commands.push_back(AddUsageCommand(app));
  commands.push_back(AddTenantsCommand(app));
  commands.push_back(AddPricesCommand(app));
  commands.push_back(AddGatewayCommand(app));
  commands.push_back(AddServeCommand(app));
  commands.push_back(AddSimCommand(app));
  commands.push_back(AddPlanCommand(app));
  return commands;
}

}  // namespace tokenfab::cli
