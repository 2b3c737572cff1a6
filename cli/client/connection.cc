#include "cli/client/connection.h"

namespace ferry::cli {

Result<Connection> resolve_connection(const ConnectionFlags& flags, const std::string& env_server,
                                      const std::string& env_token, const CliConfig& config) {
  Connection out;
  std::string text = !flags.server.empty() ? flags.server : env_server;
  bool from_config = text.empty();
  if (from_config) text = config.server;
  if (text.empty()) {
    return Status::NotFound("no Ferry server: log in with `ferry login SERVER`, or pass --server or set FERRY_SERVER");
  }
  // The config file's transport settings belong to its server; they carry over to a flag or
  // variable only when that names the same server.
  Result<ServerUrl> configured = config.server.empty() ? Result<ServerUrl>(Status::NotFound(""))
                                                       : parse_server_url(config.server, config.plaintext);
  auto parsed = parse_server_url(text, flags.plaintext || (from_config && config.plaintext));
  if (!parsed.ok()) return parsed.status();
  out.server = *parsed;
  bool same_server = configured.ok() && configured->key() == out.server.key();
  if (same_server && out.server.scheme.empty()) out.server.scheme = configured->scheme;
  out.insecure = flags.insecure || (same_server && config.insecure);

  if (!flags.auth_token.empty()) {
    out.token = flags.auth_token;
  } else if (!env_token.empty()) {
    out.token = env_token;
  } else if (same_server) {
    out.token = config.token;
  }
  return out;
}

}  // namespace ferry::cli
