// `ferry account`: accounts and API tokens, as Argo CD's `argocd account`.
//   account list [-o json|yaml]
//   account get [--account NAME] [-o json|yaml]            (default: the logged-in user)
//   account generate-token [--account NAME] [--expires-in 24h] [--id ID] [--description D]
//       prints the token as its last (only) line, for `tail -1` in CI scripts
//   account delete-token [--account NAME] ID
//   account can-i ACTION RESOURCE OBJECT                    prints yes or no; exit 0 for yes,
//       1 for no (as `kubectl auth can-i`), e.g. `ferry account can-i sync applications default/web`
#include <iostream>
#include <memory>

#include "cli/client/app_output.h"
#include "cli/client/flag_parsers.h"
#include "cli/client_common.h"
#include "cli/commands.h"

namespace ferry::cli {
namespace {

struct AccountFlags {
  std::string account;
  std::string output;
  std::string expires_in = "0";
  std::string id;
  std::string description;
  std::string token_id;
  std::string action, resource, object;
  ConnectionFlags connection;
};

std::string account_path(const std::string& name) { return "/api/v1/account/" + escape_path_segment(name); }

// --account, or the logged-in user when it is not given.
Result<std::string> account_name(ApiClient& client, const AccountFlags& f) {
  if (!f.account.empty()) return f.account;
  auto info = client.get("/api/v1/session/userinfo");
  if (!info.ok()) return info.status();
  std::string name = json_string(*info, {"username"});
  if (name.empty()) return Status(Reason::kUnauthorized, "not logged in; pass --account");
  return name;
}

int run_list(const AccountFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("account list", client.status());
  auto answer = (*client)->get("/api/v1/account");
  if (!answer.ok()) return report_error("account list", answer.status());
  Json items = answer->contains("items") ? (*answer)["items"] : Json::array();
  if (!f.output.empty()) {
    print_structured(items, f.output);
  } else {
    std::cout << accounts_table(items);
  }
  return 0;
}

int run_get(const AccountFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("account get", client.status());
  auto name = account_name(**client, f);
  if (!name.ok()) return report_error("account get", name.status());
  auto account = (*client)->get(account_path(*name));
  if (!account.ok()) return report_error("account get", account.status());
  if (!f.output.empty()) {
    print_structured(*account, f.output);
  } else {
    std::cout << account_details(*account);
  }
  return 0;
}

int run_generate_token(const AccountFlags& f) {
  auto expires = parse_expires_in(f.expires_in);
  if (!expires.ok()) return report_error("account generate-token", expires.status(), true);
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("account generate-token", client.status());
  auto name = account_name(**client, f);
  if (!name.ok()) return report_error("account generate-token", name.status());
  Json body = {{"expiresIn", expires->count()}};
  if (!f.id.empty()) body["id"] = f.id;
  if (!f.description.empty()) body["description"] = f.description;
  auto answer = (*client)->post(account_path(*name) + "/token", body);
  if (!answer.ok()) return report_error("account generate-token", answer.status());
  std::string token = json_string(*answer, {"token"});
  if (token.empty()) return report_error("account generate-token", Status::Internal("the server answered without a token"));
  std::cout << token << "\n";
  return 0;
}

int run_delete_token(const AccountFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("account delete-token", client.status());
  auto name = account_name(**client, f);
  if (!name.ok()) return report_error("account delete-token", name.status());
  auto answer = (*client)->del(account_path(*name) + "/token/" + escape_path_segment(f.token_id));
  if (!answer.ok()) return report_error("account delete-token", answer.status());
  std::cout << "token '" << f.token_id << "' of account '" << *name << "' deleted\n";
  return 0;
}

int run_can_i(const AccountFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("account can-i", client.status());
  // The object may hold '/' (project/app): each part is escaped, the slashes stay.
  std::string object;
  size_t start = 0;
  while (true) {
    size_t slash = f.object.find('/', start);
    object += escape_path_segment(f.object.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    object += "/";
    start = slash + 1;
  }
  auto answer = (*client)->get("/api/v1/account/can-i/" + escape_path_segment(f.resource) + "/" +
                               escape_path_segment(f.action) + "/" + object);
  if (!answer.ok()) return report_error("account can-i", answer.status());
  std::string value = json_string(*answer, {"value"});
  std::cout << value << "\n";
  return value == "yes" ? 0 : kExitError;
}

}  // namespace

void add_account_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("account", "Manage accounts and API tokens on a Ferry server");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<AccountFlags>();

  auto* c = cmd->add_subcommand("list", "List accounts");
  add_output_flag(c, flags->output, {"json", "yaml"});
  add_connection_flags(c, flags->connection);
  c->callback([flags, &exit_code] { exit_code = run_list(*flags); });

  c = cmd->add_subcommand("get", "Show an account and its tokens");
  c->add_option("-a,--account", flags->account, "account name (default: the logged-in user)");
  add_output_flag(c, flags->output, {"json", "yaml"});
  add_connection_flags(c, flags->connection);
  c->callback([flags, &exit_code] { exit_code = run_get(*flags); });

  c = cmd->add_subcommand("generate-token", "Create an API token; prints it as the last line");
  c->add_option("-a,--account", flags->account, "account name (default: the logged-in user)");
  c->add_option("-e,--expires-in", flags->expires_in, "lifetime such as 24h, 30m or 7d (default: never expires)");
  c->add_option("--id", flags->id, "token ID (default: generated)");
  c->add_option("--description", flags->description, "what the token is for");
  add_connection_flags(c, flags->connection);
  c->callback([flags, &exit_code] { exit_code = run_generate_token(*flags); });

  c = cmd->add_subcommand("delete-token", "Revoke an API token");
  c->add_option("-a,--account", flags->account, "account name (default: the logged-in user)");
  c->add_option("id", flags->token_id, "token ID")->required();
  add_connection_flags(c, flags->connection);
  c->callback([flags, &exit_code] { exit_code = run_delete_token(*flags); });

  c = cmd->add_subcommand("can-i", "Whether the current user may do something: prints yes or no");
  c->add_option("action", flags->action, "get, create, update, delete, sync, override, action")->required();
  c->add_option("resource", flags->resource, "applications, projects, accounts, ...")->required();
  c->add_option("object", flags->object, "e.g. default/web, or '*'")->required();
  add_connection_flags(c, flags->connection);
  c->callback([flags, &exit_code] { exit_code = run_can_i(*flags); });
}

}  // namespace ferry::cli
