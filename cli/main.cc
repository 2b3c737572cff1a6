// ferry: one binary, many subcommands (DESIGN.md §1).
#include <csignal>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed socket is an error value, not a death
  CLI::App app{"Ferry: a GitOps deployment controller", "ferry"};
  app.require_subcommand(1);
  int exit_code = 0;
  ferry::cli::add_version_command(app, exit_code);
  ferry::cli::add_sim_command(app, exit_code);
  ferry::cli::add_render_command(app, exit_code);
  ferry::cli::add_lint_command(app, exit_code);
  ferry::cli::add_demo_command(app, exit_code);
  ferry::cli::add_controller_command(app, exit_code);
  ferry::cli::add_login_command(app, exit_code);
  ferry::cli::add_app_command(app, exit_code);
  ferry::cli::add_account_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
