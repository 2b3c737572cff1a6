#include <iostream>

#include "cli/commands.h"

namespace ferry::cli {

void add_sim_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sim", "Run the Kubernetes API simulator");
  cmd->callback([&exit_code] {
    std::cerr << "ferry sim: not built yet\n";
    exit_code = 2;
  });
}

}  // namespace ferry::cli
