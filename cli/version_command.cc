// `ferry version`: the client's version on the first line ("ferry 0.1.0"; scripts read it), then,
// when a server is configured (flags, FERRY_SERVER or the login config) and --client is not
// given, the server's (GET /api/version), as Argo CD's `argocd version` does.
#include <iostream>
#include <memory>

#include "cli/client/app_output.h"
#include "cli/client_common.h"
#include "cli/commands.h"

namespace ferry::cli {
namespace {

constexpr const char* kClientVersion = "0.1.0";

struct VersionFlags {
  bool client_only = false;
  std::string output;
  ConnectionFlags connection;
};

int run_version(const VersionFlags& flags) {
  Json client_info = {{"Version", kClientVersion}};
  bool structured = !flags.output.empty();
  if (!structured) std::cout << "ferry " << kClientVersion << "\n" << std::flush;
  if (flags.client_only) {
    if (structured) print_structured(Json{{"client", client_info}}, flags.output);
    return 0;
  }
  auto client = connect(flags.connection);
  if (!client.ok()) {
    if (client.status().is(Reason::kNotFound)) {  // no server configured: the client's version is all
      if (structured) print_structured(Json{{"client", client_info}}, flags.output);
      return 0;
    }
    return report_error("version", client.status());
  }
  auto server = (*client)->get("/api/version");
  if (!server.ok()) {
    if (structured) print_structured(Json{{"client", client_info}}, flags.output);
    return report_error("version", server.status());
  }
  if (structured) {
    print_structured(Json{{"client", client_info}, {"server", *server}}, flags.output);
    return 0;
  }
  std::cout << "ferry-server: " << json_string(*server, {"Version"}) << " (" << (*client)->url() << ")\n";
  for (const char* key : {"BuildDate", "Platform"}) {
    if (std::string value = json_string(*server, {key}); !value.empty()) std::cout << "  " << key << ": " << value << "\n";
  }
  return 0;
}

}  // namespace

void add_version_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<VersionFlags>();
  auto* cmd = app.add_subcommand("version", "Print Ferry's version, and the server's when one is configured");
  cmd->add_flag("--client", flags->client_only, "print the client's version only");
  add_output_flag(cmd, flags->output, {"json", "yaml"});
  add_connection_flags(cmd, flags->connection);
  cmd->callback([flags, &exit_code] { exit_code = run_version(*flags); });
}

}  // namespace ferry::cli
