#include <iostream>

#include "cli/commands.h"

namespace ferry::cli {

void add_version_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("version", "Print Ferry's version");
  cmd->callback([&exit_code] {
    std::cout << "ferry 0.1.0\n";
    exit_code = 0;
  });
}

}  // namespace ferry::cli
