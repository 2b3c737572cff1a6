// ferry: one binary, many subcommands (DESIGN.md §1).
#include <csignal>
#include <cstring>
#include <iostream>

#include "cli/commands.h"

namespace {

using AddCommand = void (*)(CLI::App&, int&);

struct Command {
  AddCommand add;
  const char* names[2];  // the subcommands `add` registers
};

// In `ferry --help` order.
constexpr Command kCommands[] = {
    {ferry::cli::add_version_command, {"version"}},
    {ferry::cli::add_sim_command, {"sim"}},
    {ferry::cli::add_render_command, {"render"}},
    {ferry::cli::add_lint_command, {"lint"}},
    {ferry::cli::add_demo_command, {"demo"}},
    {ferry::cli::add_controller_command, {"controller"}},
    {ferry::cli::add_login_command, {"login", "logout"}},
    {ferry::cli::add_app_command, {"app"}},
    {ferry::cli::add_account_command, {"account"}},
};

bool registers(const Command& c, const char* name) {
  for (const char* n : c.names) {
    if (n && name && std::strcmp(n, name) == 0) return true;
  }
  return false;
}

// Registers only the subcommand `first_arg` names, or all of them when it names none (no
// arguments, --help, a typo: CLI11 then lists them or reports the error as before). Building
// every subcommand's options costs each process several ms of CLI11 work (issue #4: a cold
// `ferry render` is measured against `helm template`), and only one subcommand can run.
void add_commands(CLI::App& app, int& exit_code, const char* first_arg) {
  for (const Command& c : kCommands) {
    if (registers(c, first_arg)) return c.add(app, exit_code);
  }
  for (const Command& c : kCommands) c.add(app, exit_code);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed socket is an error value, not a death
  CLI::App app{"Ferry: a GitOps deployment controller", "ferry"};
  app.require_subcommand(1);
  int exit_code = 0;
  add_commands(app, exit_code, argc > 1 ? argv[1] : nullptr);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
