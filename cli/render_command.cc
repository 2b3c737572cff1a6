#include <iostream>

#include "cli/commands.h"

namespace ferry::cli {

void add_render_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("render", "Render an application's manifests from git");
  cmd->callback([&exit_code] {
    std::cerr << "ferry render: not built yet\n";
    exit_code = 2;
  });
}

}  // namespace ferry::cli
