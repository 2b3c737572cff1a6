// Plumbing shared by the client subcommands (login, logout, app, account, version): the
// connection flags, building an ApiClient from flags + environment + login config, output
// formats and error reporting. Main thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apis/types/status.h"
#include "cli/client/api_client.h"
#include "cli/client/config.h"
#include "cli/client/connection.h"

namespace ferry::cli {

inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// Adds --server, --auth-token, --insecure, --plaintext and --config (Argo CD's names) to `cmd`.
void add_connection_flags(CLI::App* cmd, ConnectionFlags& flags);
// Adds -o/--output limited to `formats` (e.g. {"json", "yaml", "wide"}).
void add_output_flag(CLI::App* cmd, std::string& output, const std::vector<std::string>& formats);

// The login config file for these flags ($XDG_CONFIG_HOME/ferry/config by default).
std::string config_path(const ConnectionFlags& flags);

// An ApiClient for the server and token the flags, FERRY_SERVER / FERRY_TOKEN and the login
// config name (resolve_connection).
Result<std::unique_ptr<ApiClient>> connect(const ConnectionFlags& flags);

// Prints "ferry <command>: <message>" on stderr and returns the exit code: kExitUsage for
// Invalid statuses that come from our own checks (`usage`), kExitError otherwise.
int report_error(const std::string& command, const Status& status, bool usage = false);

// Prints `value` as indented JSON or as YAML on stdout.
void print_structured(const nlohmann::json& value, const std::string& format);

// "/api/v1/applications/<name>" with the name escaped.
std::string app_path(const std::string& name);

}  // namespace ferry::cli
