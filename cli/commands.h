// The `ferry` binary's subcommands. Each add_* function registers one subcommand on the app;
// when it runs, its callback stores the process exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace ferry::cli {

void add_version_command(CLI::App& app, int& exit_code);
void add_sim_command(CLI::App& app, int& exit_code);
void add_render_command(CLI::App& app, int& exit_code);
void add_lint_command(CLI::App& app, int& exit_code);
void add_demo_command(CLI::App& app, int& exit_code);
void add_controller_command(CLI::App& app, int& exit_code);
// Client commands: they talk to a Ferry server over its REST API only (cli/client/).
void add_login_command(CLI::App& app, int& exit_code);  // login and logout
void add_app_command(CLI::App& app, int& exit_code);
void add_account_command(CLI::App& app, int& exit_code);

}  // namespace ferry::cli
