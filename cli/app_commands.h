// Internal to the `ferry app` subcommand files: app_command.cc registers list, get, create,
// set, delete, diff, plan, history and tree; app_sync_command.cc the operations that run and
// show progress (sync, rollback, wait). Main thread only.
#pragma once

#include <CLI/CLI.hpp>

namespace ferry::cli {

void add_app_operation_commands(CLI::App* app_cmd, int& exit_code);

}  // namespace ferry::cli
