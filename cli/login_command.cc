// `ferry login SERVER` and `ferry logout`, as Argo CD's:
//   ferry login SERVER [--username U] [--password P] [--insecure] [--plaintext] [--config F]
//   ferry logout [--config F]
// login asks the server for a session token (POST /api/v1/session) and keeps server and token
// in the login config file (mode 0600); the token itself is never printed. Without --password
// it prompts without echo on a terminal and reads one line from stdin otherwise.
// logout revokes the session on the server (best effort) and forgets the token.
#include <iostream>
#include <memory>

#include "cli/client/config.h"
#include "cli/client_common.h"
#include "cli/commands.h"
#include "cli/terminal.h"

namespace ferry::cli {
namespace {

struct LoginFlags {
  std::string server;
  std::string username;
  std::string password;
  bool password_given = false;
  ConnectionFlags connection;
};

int run_login(LoginFlags& flags) {
  auto server = parse_server_url(flags.server, flags.connection.plaintext);
  if (!server.ok()) return report_error("login", server.status(), true);
  if (flags.username.empty()) {
    if (!stdin_is_tty()) {
      return report_error("login", Status::Invalid("--username is required when stdin is not a terminal"), true);
    }
    auto typed = read_line("Username: ");
    if (!typed.ok() || typed->empty()) return report_error("login", Status::Invalid("no username given"), true);
    flags.username = *typed;
  }
  if (!flags.password_given) {
    auto typed = read_secret("Password: ");
    if (!typed.ok()) return report_error("login", Status::Invalid("no password given (--password or stdin)"), true);
    flags.password = *typed;
  }

  ApiClientOptions options;
  options.server = *server;
  options.insecure = flags.connection.insecure;
  ApiClient client(options);
  Json body = {{"username", flags.username}, {"password", flags.password}};
  auto answer = client.post("/api/v1/session", body);
  if (!answer.ok()) return report_error("login", answer.status());
  std::string token = answer->value("token", "");
  if (token.empty()) return report_error("login", Status::Internal("the server answered without a token"));

  std::string path = config_path(flags.connection);
  auto config = read_config(path);
  if (!config.ok()) {
    // A broken file is replaced: logging in again is how a user repairs it.
    std::cerr << "ferry login: replacing " << path << ": " << config.status().message() << "\n";
    config = CliConfig{};
  }
  config->server = client.url();
  config->username = flags.username;
  config->token = token;
  config->insecure = flags.connection.insecure;
  config->plaintext = config->server.rfind("http://", 0) == 0;
  if (config->plaintext && !flags.connection.plaintext && server->scheme.empty()) {
    std::cerr << "ferry login: " << server->key() << " speaks plain HTTP, not TLS; the session token travels "
              << "unencrypted\n";
  }
  Status written = write_config(path, *config);
  if (!written.ok()) return report_error("login", written);
  std::cout << "Logged in as " << flags.username << "\n";
  return 0;
}

int run_logout(const ConnectionFlags& flags) {
  std::string path = config_path(flags);
  auto config = read_config(path);
  if (!config.ok()) return report_error("logout", config.status());
  if (config->token.empty()) {
    std::cout << "Not logged in\n";
    return 0;
  }
  auto server = parse_server_url(config->server, config->plaintext);
  if (server.ok()) {
    ApiClientOptions options;
    options.server = *server;
    options.token = config->token;
    options.insecure = config->insecure;
    ApiClient client(options);
    auto revoked = client.del("/api/v1/session");
    // The local token goes regardless: a user who logs out must end up logged out here.
    if (!revoked.ok() && !revoked.status().is(Reason::kUnauthorized)) {
      std::cerr << "ferry logout: could not revoke the session on the server: " << revoked.status().message()
                << "\n";
    }
  }
  std::string from = config->server;
  config->token.clear();
  Status written = write_config(path, *config);
  if (!written.ok()) return report_error("logout", written);
  std::cout << "Logged out from " << from << "\n";
  return 0;
}

}  // namespace

void add_login_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<LoginFlags>();
  auto* login = app.add_subcommand("login", "Log in to a Ferry server and keep the session token");
  login->add_option("server", flags->server, "host:port, http://host:port or https://host:port")->required();
  login->add_option("--username", flags->username, "user name (prompted for on a terminal)");
  auto* password = login->add_option("--password", flags->password,
                                     "password (default: prompted for without echo, or one line from stdin)");
  login->add_flag("--insecure", flags->connection.insecure, "skip TLS certificate verification");
  login->add_flag("--plaintext", flags->connection.plaintext, "talk plain HTTP, without TLS");
  login->add_option("--config", flags->connection.config, "login config file (default $XDG_CONFIG_HOME/ferry/config)");
  login->callback([flags, password, &exit_code] {
    flags->password_given = password->count() > 0;
    exit_code = run_login(*flags);
  });

  auto logout_flags = std::make_shared<ConnectionFlags>();
  auto* logout = app.add_subcommand("logout", "Revoke the session and forget the token");
  logout->add_option("--config", logout_flags->config, "login config file (default $XDG_CONFIG_HOME/ferry/config)");
  logout->callback([logout_flags, &exit_code] { exit_code = run_logout(*logout_flags); });
}

}  // namespace ferry::cli
