#include "cli/client_common.h"

#include <cstdlib>
#include <iostream>

#include "apis/types/yaml_codec.h"

namespace ferry::cli {

void add_connection_flags(CLI::App* cmd, ConnectionFlags& flags) {
  cmd->add_option("--server", flags.server, "Ferry server, host:port or a URL (env FERRY_SERVER)");
  cmd->add_option("--auth-token", flags.auth_token, "authentication token (env FERRY_TOKEN)");
  cmd->add_flag("--insecure", flags.insecure, "skip TLS certificate verification");
  cmd->add_flag("--plaintext", flags.plaintext, "talk plain HTTP, without TLS");
  cmd->add_option("--config", flags.config, "login config file (default $XDG_CONFIG_HOME/ferry/config)");
}

void add_output_flag(CLI::App* cmd, std::string& output, const std::vector<std::string>& formats) {
  std::string names;
  for (const std::string& f : formats) names += (names.empty() ? "" : "|") + f;
  cmd->add_option("-o,--output", output, "output format: " + names)->check(CLI::IsMember(formats));
}

std::string config_path(const ConnectionFlags& flags) {
  return config_file_path(flags.config, std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
}

Result<std::unique_ptr<ApiClient>> connect(const ConnectionFlags& flags) {
  auto config = read_config(config_path(flags));
  if (!config.ok()) return config.status();
  const char* env_server = std::getenv("FERRY_SERVER");
  const char* env_token = std::getenv("FERRY_TOKEN");
  auto connection = resolve_connection(flags, env_server ? env_server : "", env_token ? env_token : "", *config);
  if (!connection.ok()) return connection.status();
  ApiClientOptions options;
  options.server = connection->server;
  options.token = connection->token;
  options.insecure = connection->insecure;
  return std::make_unique<ApiClient>(std::move(options));
}

int report_error(const std::string& command, const Status& status, bool usage) {
  std::cerr << "ferry " << command << ": " << status.message() << "\n";
  for (const StatusCause& cause : status.causes()) {
    std::cerr << "  " << (cause.field.empty() ? "" : cause.field + ": ") << cause.message << "\n";
  }
  return usage ? kExitUsage : kExitError;
}

void print_structured(const nlohmann::json& value, const std::string& format) {
  if (format == "yaml") {
    std::cout << yaml::to_yaml(value);
  } else {
    std::cout << value.dump(2) << "\n";
  }
  std::cout << std::flush;
}

std::string app_path(const std::string& name) { return "/api/v1/applications/" + escape_path_segment(name); }

}  // namespace ferry::cli
