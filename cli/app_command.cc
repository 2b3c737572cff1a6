// `ferry app`: Applications through the REST API (docs/api.md), with Argo CD's flags.
//   app list [-l SELECTOR] [-p PROJECT]... [-o json|yaml|wide|name]
//   app get NAME [--refresh|--hard-refresh] [-o json|yaml|wide]
//   app create NAME [-f FILE] [--upsert] <app flags>      (see cli/client/app_spec.h)
//   app set NAME <app flags>                              only the flags given change
//   app delete NAME... [--cascade=false] [-y] [--wait] [--timeout T]
//   app diff NAME [--refresh|--hard-refresh] [--exit-code=false]   exit 0 same, 1 differs, 2 error
//   app plan NAME [--prune] [-o json|yaml]
//   app history NAME [-o json|yaml|wide]
//   app tree NAME [-o json|yaml]                          child apps nested under their node
// sync, rollback and wait live in app_sync_command.cc.
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "apis/types/yaml_codec.h"
#include "cli/app_commands.h"
#include "cli/client/app_output.h"
#include "cli/client/app_spec.h"
#include "cli/client/flag_parsers.h"
#include "cli/client_common.h"
#include "cli/commands.h"
#include "cli/terminal.h"

namespace ferry::cli {
namespace {

using namespace std::chrono_literals;

// Raw storage for the app flags; to_flags() keeps only those given on the command line.
struct AppFlagValues {
  std::string repo, path, revision, helm_chart, dest_server, dest_name, dest_namespace, project, sync_policy,
      release_name;
  bool auto_prune = false, self_heal = false, allow_empty = false, directory_recurse = false;
  std::vector<std::string> sync_options, values, helm_sets, helm_set_strings, labels;
  std::map<std::string, CLI::Option*> given;

  AppFlags to_flags() const {
    auto was = [&](const char* name) { return given.at(name)->count() > 0; };
    AppFlags f;
    auto take = [&](const char* name, const std::string& value, std::optional<std::string>& out) {
      if (was(name)) out = value;
    };
    take("--repo", repo, f.repo);
    take("--path", path, f.path);
    take("--revision", revision, f.revision);
    take("--helm-chart", helm_chart, f.helm_chart);
    take("--dest-server", dest_server, f.dest_server);
    take("--dest-name", dest_name, f.dest_name);
    take("--dest-namespace", dest_namespace, f.dest_namespace);
    take("--project", project, f.project);
    take("--sync-policy", sync_policy, f.sync_policy);
    take("--release-name", release_name, f.release_name);
    if (was("--auto-prune")) f.auto_prune = auto_prune;
    if (was("--self-heal")) f.self_heal = self_heal;
    if (was("--allow-empty")) f.allow_empty = allow_empty;
    if (was("--directory-recurse")) f.directory_recurse = directory_recurse;
    if (was("--values")) f.values = values;
    f.sync_options = sync_options;
    f.helm_sets = helm_sets;
    f.helm_set_strings = helm_set_strings;
    f.labels = labels;
    return f;
  }
};

void add_app_spec_flags(CLI::App* cmd, AppFlagValues& v) {
  auto opt = [&](const char* name, std::string& target, const char* help) {
    v.given[name] = cmd->add_option(name, target, help);
  };
  auto flag = [&](const char* name, bool& target, const char* help) { v.given[name] = cmd->add_flag(name, target, help); };
  auto list = [&](const char* name, std::vector<std::string>& target, const char* help) {
    v.given[name] = cmd->add_option(name, target, help)->allow_extra_args(false);
  };
  opt("--repo", v.repo, "repository URL");
  opt("--path", v.path, "path in the repository");
  opt("--revision", v.revision, "target revision: branch, tag or commit (default HEAD)");
  opt("--helm-chart", v.helm_chart, "Helm chart name (with --repo a Helm repository)");
  opt("--dest-server", v.dest_server, "destination cluster URL (https://kubernetes.default.svc)");
  opt("--dest-name", v.dest_name, "destination cluster name (in-cluster)");
  opt("--dest-namespace", v.dest_namespace, "destination namespace");
  opt("--project", v.project, "project (default \"default\")");
  opt("--sync-policy", v.sync_policy, "automated or none");
  flag("--auto-prune", v.auto_prune, "prune when syncing automatically");
  flag("--self-heal", v.self_heal, "undo changes made in the cluster");
  flag("--allow-empty", v.allow_empty, "let automated sync delete every resource");
  list("--sync-option", v.sync_options, "sync option KEY=VALUE, e.g. CreateNamespace=true (repeatable)");
  list("--values", v.values, "Helm values file in the repository (repeatable)");
  list("--helm-set", v.helm_sets, "Helm parameter KEY=VALUE (repeatable)");
  list("--helm-set-string", v.helm_set_strings, "Helm string parameter KEY=VALUE (repeatable)");
  opt("--release-name", v.release_name, "Helm release name");
  flag("--directory-recurse", v.directory_recurse, "read manifests in sub-directories too");
  list("--label", v.labels, "label KEY=VALUE on the Application (repeatable)");
}

// ---- list, get -----------------------------------------------------------------------------

struct ListFlags {
  std::string selector;
  std::vector<std::string> projects;
  std::string output;
  ConnectionFlags connection;
};

int run_list(const ListFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app list", client.status());
  std::string target = "/api/v1/applications";
  std::string query;
  if (!f.selector.empty()) query += "selector=" + escape_query_value(f.selector);
  if (!f.projects.empty()) {
    std::string joined;
    for (const std::string& p : f.projects) joined += (joined.empty() ? "" : ",") + p;
    query += (query.empty() ? "" : "&") + std::string("projects=") + escape_query_value(joined);
  }
  if (!query.empty()) target += "?" + query;
  auto apps = (*client)->list_all(target);
  if (!apps.ok()) return report_error("app list", apps.status());
  if (f.output == "json" || f.output == "yaml") {
    print_structured(*apps, f.output);
  } else if (f.output == "name") {
    for (const Json& app : *apps) std::cout << json_string(app, {"metadata", "name"}) << "\n";
  } else {
    std::cout << apps_table(*apps, f.output == "wide");
  }
  return 0;
}

// Asks for a refresh and waits (up to `timeout`) until the controller has compared the app
// again: its reconciledAt moved, or the refresh annotation it set came and went.
Result<Json> refresh_and_wait(ApiClient& client, const std::string& name, const std::string& type,
                              std::chrono::seconds timeout = 60s) {
  auto before = client.get(app_path(name));
  if (!before.ok()) return before.status();
  std::string previous = json_string(*before, {"status", "reconciledAt"});
  auto queued = client.post(app_path(name) + "/refresh?type=" + type, Json::object());
  if (!queued.ok()) return queued.status();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool saw_annotation = false;
  Json last = *before;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(300ms);
    auto app = client.get(app_path(name));
    if (!app.ok()) return app.status();
    last = std::move(*app);
    bool pending = !json_string(last, {"metadata", "annotations", "ferry.dev/refresh"}).empty();
    saw_annotation = saw_annotation || pending;
    if (!pending && (json_string(last, {"status", "reconciledAt"}) != previous || saw_annotation)) return last;
  }
  std::cerr << "ferry: the refresh of '" << name << "' did not finish within " << timeout.count()
            << "s; showing the last known state\n";
  return last;
}

struct GetFlags {
  std::string name;
  bool refresh = false, hard_refresh = false;
  std::string output;
  ConnectionFlags connection;
};

int run_get(const GetFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app get", client.status());
  Result<Json> app = (f.refresh || f.hard_refresh)
                         ? refresh_and_wait(**client, f.name, f.hard_refresh ? "hard" : "normal")
                         : (*client)->get(app_path(f.name));
  if (!app.ok()) return report_error("app get", app.status());
  if (f.output == "json" || f.output == "yaml") {
    print_structured(*app, f.output);
  } else {
    std::cout << app_details(*app);
  }
  return 0;
}

// ---- create, set, delete -------------------------------------------------------------------

struct CreateFlags {
  std::string name;
  std::string file;
  bool upsert = false;
  AppFlagValues app;
  ConnectionFlags connection;
};

int run_create(const CreateFlags& f) {
  AppFlags flags = f.app.to_flags();
  Json app;
  if (!f.file.empty()) {
    std::ifstream in(f.file);
    if (!in) return report_error("app create", Status::Invalid("cannot read " + f.file), true);
    std::stringstream text;
    text << in.rdbuf();
    auto objects = yaml::parse_objects(text.str(), f.file);
    if (!objects.ok()) return report_error("app create", objects.status(), true);
    if (objects->size() != 1) {
      return report_error("app create", Status::Invalid(f.file + ": wants exactly one Application"), true);
    }
    app = std::move((*objects)[0]);
    if (!f.name.empty()) app["metadata"]["name"] = f.name;
    Status applied = apply_app_flags(app, flags);
    if (!applied.ok()) return report_error("app create", applied, true);
  } else {
    if (f.name.empty()) return report_error("app create", Status::Invalid("NAME or --file is required"), true);
    auto built = new_application(f.name, flags);
    if (!built.ok()) return report_error("app create", built.status(), true);
    app = std::move(*built);
  }
  std::string name = json_string(app, {"metadata", "name"});
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app create", client.status());
  auto created = (*client)->post(std::string("/api/v1/applications") + (f.upsert ? "?upsert=true" : ""), app);
  if (!created.ok()) return report_error("app create", created.status());
  std::cout << "application '" << json_string(*created, {"metadata", "name"}) << "' created\n";
  return 0;
}

struct SetFlags {
  std::string name;
  AppFlagValues app;
  ConnectionFlags connection;
};

int run_set(const SetFlags& f) {
  AppFlags flags = f.app.to_flags();
  if (!flags.any()) return report_error("app set", Status::Invalid("give at least one flag to change"), true);
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app set", client.status());
  auto app = (*client)->get(app_path(f.name));
  if (!app.ok()) return report_error("app set", app.status());
  app->erase("status");  // the server owns it; sending it back could only be stale
  Status applied = apply_app_flags(*app, flags);
  if (!applied.ok()) return report_error("app set", applied, true);
  auto updated = (*client)->put(app_path(f.name), *app);
  if (!updated.ok()) return report_error("app set", updated.status());
  std::cout << "application '" << f.name << "' updated\n";
  return 0;
}

struct DeleteFlags {
  std::vector<std::string> names;
  bool cascade = true;
  bool yes = false;
  bool wait = false;
  std::string timeout = "0";
  ConnectionFlags connection;
};

int run_delete(const DeleteFlags& f) {
  auto timeout = parse_timeout(f.timeout);
  if (!timeout.ok()) return report_error("app delete", timeout.status(), true);
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app delete", client.status());
  int rc = 0;
  for (const std::string& name : f.names) {
    if (!f.yes) {
      std::string what = f.cascade ? "'" + name + "' and all its resources" : "'" + name + "' (its resources stay)";
      if (!confirm("Are you sure you want to delete " + what + "?")) {
        std::cerr << "ferry app delete: '" << name << "' not deleted\n";
        rc = kExitError;
        continue;
      }
    }
    auto deleted = (*client)->del(app_path(name) + "?cascade=" + (f.cascade ? "true" : "false"));
    if (!deleted.ok()) {
      rc = report_error("app delete", deleted.status());
      continue;
    }
    if (f.wait) {
      auto deadline = std::chrono::steady_clock::now() + *timeout;
      while (true) {
        auto still = (*client)->get(app_path(name));
        if (!still.ok() && still.status().is(Reason::kNotFound)) break;
        if (!still.ok()) return report_error("app delete", still.status());
        if (timeout->count() > 0 && std::chrono::steady_clock::now() >= deadline) {
          return report_error("app delete", Status(Reason::kTimeout, "timed out after " + std::to_string(timeout->count()) +
                                                                         "s waiting for '" + name + "' to go"));
        }
        std::this_thread::sleep_for(1s);
      }
    }
    std::cout << "application '" << name << "' deleted\n";
  }
  return rc;
}

// ---- diff, plan, history, tree -------------------------------------------------------------

struct DiffFlags {
  std::string name;
  bool refresh = false, hard_refresh = false, exit_code = true;
  std::string output;
  ConnectionFlags connection;
};

// Exit codes as Argo CD's `app diff`: 0 no differences, 1 differences, 2 error.
int run_diff(const DiffFlags& f) {
  constexpr int kDiffError = 2;
  auto failed = [](const Status& status) {
    report_error("app diff", status);
    return kDiffError;
  };
  auto client = connect(f.connection);
  if (!client.ok()) return failed(client.status());
  if (f.refresh || f.hard_refresh) {
    auto refreshed = refresh_and_wait(**client, f.name, f.hard_refresh ? "hard" : "normal");
    if (!refreshed.ok()) return failed(refreshed.status());
  }
  auto diff = (*client)->get(app_path(f.name) + "/diff");
  if (!diff.ok()) return failed(diff.status());
  auto items = diff->find("items");
  bool differs = items != diff->end() && items->is_array() && !items->empty();
  if (f.output == "json" || f.output == "yaml") {
    print_structured(*diff, f.output);
  } else {
    std::cout << diff_text(*diff);
  }
  return differs && f.exit_code ? 1 : 0;
}

struct PlanFlags {
  std::string name;
  bool prune = false;
  std::string output;
  ConnectionFlags connection;
};

int run_plan(const PlanFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app plan", client.status());
  auto plan = (*client)->get(app_path(f.name) + "/plan" + (f.prune ? "?prune=true" : ""));
  if (!plan.ok()) return report_error("app plan", plan.status());
  if (f.output == "json" || f.output == "yaml") {
    print_structured(*plan, f.output);
  } else {
    std::cout << plan_table(plan->contains("items") ? (*plan)["items"] : Json::array());
  }
  return 0;
}

struct HistoryFlags {
  std::string name;
  std::string output;
  ConnectionFlags connection;
};

int run_history(const HistoryFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app history", client.status());
  auto items = (*client)->list_all(app_path(f.name) + "/history");
  if (!items.ok()) return report_error("app history", items.status());
  if (f.output == "json" || f.output == "yaml") {
    print_structured(*items, f.output);
  } else {
    std::cout << history_table(*items, f.output == "wide");
  }
  return 0;
}

struct TreeFlags {
  std::string name;
  std::string output;
  ConnectionFlags connection;
};

// Hangs each child app's own tree under its Application node; `opened` stops app-of-apps cycles.
void nest_child_apps(ApiClient& client, Json& nodes, std::set<std::string>& opened) {
  for (Json& node : nodes) {
    std::string child = json_string(node, {"app"});
    if (!child.empty() && !opened.count(child)) {
      opened.insert(child);
      auto tree = client.get(app_path(child) + "/resource-tree");
      if (tree.ok()) {
        Json roots = build_tree(tree->contains("nodes") ? (*tree)["nodes"] : Json::array());
        nest_child_apps(client, roots, opened);
        for (Json& r : roots) node["children"].push_back(std::move(r));
      } else {
        node["treeError"] = "cannot open app '" + child + "': " + tree.status().message();
      }
    }
    if (node.contains("children") && node["children"].is_array()) nest_child_apps(client, node["children"], opened);
  }
}

int run_tree(const TreeFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app tree", client.status());
  auto tree = (*client)->get(app_path(f.name) + "/resource-tree");
  if (!tree.ok()) return report_error("app tree", tree.status());
  Json roots = build_tree(tree->contains("nodes") ? (*tree)["nodes"] : Json::array());
  std::set<std::string> opened = {f.name};
  nest_child_apps(**client, roots, opened);
  if (f.output == "json" || f.output == "yaml") {
    print_structured(roots, f.output);
  } else {
    std::cout << tree_table(roots);
  }
  return 0;
}

}  // namespace

void add_app_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("app", "Manage Applications on a Ferry server");
  cmd->require_subcommand(1);

  auto list = std::make_shared<ListFlags>();
  auto* c = cmd->add_subcommand("list", "List applications");
  c->add_option("-l,--selector", list->selector, "label selector, e.g. team=web");
  c->add_option("-p,--project", list->projects, "only apps of this project (repeatable)")->allow_extra_args(false);
  add_output_flag(c, list->output, {"json", "yaml", "wide", "name"});
  add_connection_flags(c, list->connection);
  c->callback([list, &exit_code] { exit_code = run_list(*list); });

  auto get = std::make_shared<GetFlags>();
  c = cmd->add_subcommand("get", "Show an application");
  c->add_option("name", get->name, "application name")->required();
  auto* refresh = c->add_flag("--refresh", get->refresh, "refresh from git first and wait for it");
  c->add_flag("--hard-refresh", get->hard_refresh, "refresh bypassing the render cache")->excludes(refresh);
  add_output_flag(c, get->output, {"json", "yaml", "wide"});
  add_connection_flags(c, get->connection);
  c->callback([get, &exit_code] { exit_code = run_get(*get); });

  auto create = std::make_shared<CreateFlags>();
  c = cmd->add_subcommand("create", "Create an application");
  c->add_option("name", create->name, "application name");
  c->add_option("-f,--file", create->file, "Application manifest (YAML or JSON); flags override its fields");
  c->add_flag("--upsert", create->upsert, "replace the application if it exists");
  add_app_spec_flags(c, create->app);
  add_connection_flags(c, create->connection);
  c->callback([create, &exit_code] { exit_code = run_create(*create); });

  auto set = std::make_shared<SetFlags>();
  c = cmd->add_subcommand("set", "Change an application's settings (only the flags given)");
  c->add_option("name", set->name, "application name")->required();
  add_app_spec_flags(c, set->app);
  add_connection_flags(c, set->connection);
  c->callback([set, &exit_code] { exit_code = run_set(*set); });

  auto del = std::make_shared<DeleteFlags>();
  c = cmd->add_subcommand("delete", "Delete applications");
  c->add_option("names", del->names, "application names")->required();
  c->add_flag("--cascade", del->cascade, "delete the app's resources too (default true; --cascade=false keeps them)");
  c->add_flag("-y,--yes", del->yes, "do not ask for confirmation");
  c->add_flag("--wait", del->wait, "wait until the application is gone");
  c->add_option("--timeout", del->timeout, "with --wait: give up after this long (seconds or 2m; 0 = never)");
  add_connection_flags(c, del->connection);
  c->callback([del, &exit_code] { exit_code = run_delete(*del); });

  auto diff = std::make_shared<DiffFlags>();
  c = cmd->add_subcommand("diff", "Show what differs between git and the cluster (exit 1 when something does)");
  c->add_option("name", diff->name, "application name")->required();
  refresh = c->add_flag("--refresh", diff->refresh, "refresh from git first and wait for it");
  c->add_flag("--hard-refresh", diff->hard_refresh, "refresh bypassing the render cache")->excludes(refresh);
  c->add_flag("--exit-code", diff->exit_code, "exit 1 when there are differences (default true)");
  add_output_flag(c, diff->output, {"json", "yaml"});
  add_connection_flags(c, diff->connection);
  c->callback([diff, &exit_code] { exit_code = run_diff(*diff); });

  auto plan = std::make_shared<PlanFlags>();
  c = cmd->add_subcommand("plan", "Show what a sync would do now, in order");
  c->add_option("name", plan->name, "application name")->required();
  c->add_flag("--prune", plan->prune, "include pruning");
  add_output_flag(c, plan->output, {"json", "yaml"});
  add_connection_flags(c, plan->connection);
  c->callback([plan, &exit_code] { exit_code = run_plan(*plan); });

  auto history = std::make_shared<HistoryFlags>();
  c = cmd->add_subcommand("history", "Show an application's deployment history, newest first");
  c->add_option("name", history->name, "application name")->required();
  add_output_flag(c, history->output, {"json", "yaml", "wide"});
  add_connection_flags(c, history->connection);
  c->callback([history, &exit_code] { exit_code = run_history(*history); });

  auto tree = std::make_shared<TreeFlags>();
  c = cmd->add_subcommand("tree", "Show an application's resources as a tree (child apps nested)");
  c->add_option("name", tree->name, "application name")->required();
  add_output_flag(c, tree->output, {"json", "yaml"});
  add_connection_flags(c, tree->connection);
  c->callback([tree, &exit_code] { exit_code = run_tree(*tree); });

  add_app_operation_commands(cmd, exit_code);
}

}  // namespace ferry::cli
