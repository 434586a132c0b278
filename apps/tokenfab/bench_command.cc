#include "bench_command.h"

#include <memory>
#include <vector>

namespace tokenfab::cli {

Command AddBenchCommand(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks: load-test a server (serve), measure a model (model)");
  bench->require_subcommand(1);
  auto subcommands = std::make_shared<std::vector<Command>>();
  // Add new `bench` subcommands here, one Add*Subcommand() each.
  subcommands->push_back(AddBenchServeSubcommand(*bench));
  subcommands->push_back(AddBenchModelSubcommand(*bench));
  return Command{bench, [subcommands] {
                   for (const Command& subcommand : *subcommands) {
                     if (subcommand.app->parsed()) return subcommand.run();
                   }
                   return kExitUsage;
                 }};
}

}  // namespace tokenfab::cli
