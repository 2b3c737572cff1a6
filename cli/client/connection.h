// Which server the CLI's client commands talk to and with which token. Flags win over the
// environment, which wins over the login config file — Argo CD's order:
//   server: --server, then FERRY_SERVER, then the config file's server
//   token:  --auth-token, then FERRY_TOKEN, then the config file's token — the last only when
//           the server is the one the config file was logged in to, so a token never goes to a
//           server it was not issued by.
// Pure functions of their inputs; any thread.
#pragma once

#include <string>

#include "apis/types/status.h"
#include "cli/client/config.h"
#include "cli/client/server_url.h"

namespace ferry::cli {

// The client flags every server-facing subcommand takes (Argo CD's names).
struct ConnectionFlags {
  std::string server;      // --server
  std::string auth_token;  // --auth-token
  bool insecure = false;   // --insecure: skip TLS certificate verification
  bool plaintext = false;  // --plaintext: plain HTTP
  std::string config;      // --config: the login config file (default: config_file_path)
};

struct Connection {
  ServerUrl server;
  std::string token;  // "" = none
  bool insecure = false;
};

// `env_server` / `env_token` are FERRY_SERVER / FERRY_TOKEN ("" when unset). NotFound, saying how
// to name a server, when none is given anywhere; Invalid when the server text is malformed.
Result<Connection> resolve_connection(const ConnectionFlags& flags, const std::string& env_server,
                                      const std::string& env_token, const CliConfig& config);

}  // namespace ferry::cli
