// `ferry app sync|rollback|wait`: commands that start or follow an operation and show its
// progress the way Argo CD does — one line per resource as results arrive (TIMESTAMP GROUP KIND
// NAMESPACE NAME STATUS HEALTH HOOK MESSAGE), a spinner only when stdout is a terminal, then a
// summary.
//   app sync NAME [--revision R] [--prune] [--dry-run] [--resource GROUP:KIND[:NAMESPACE/]NAME]...
//                 [--sync-option K=V]... [--timeout T] [--async] [-o json|yaml]
//   app rollback NAME [ID] [--prune] [--timeout T] [--async] [-o json|yaml]
//       (no ID: the previous successful deployment in the history)
//   app wait NAME... [--sync] [--health] [--operation] [--timeout T]   (none given: all three)
// Exit codes: 0 when the operation Succeeded (or the wait was met), 1 when it failed, errored or
// timed out, 2 for usage errors.
//
// A sync or rollback is one POST ...?wait=true&timeout=T whose answer is the authoritative
// result; while it is outstanding the main thread polls the operation's ledger entry (GET
// …/history/{id}: resource results as they are recorded) and the Application (health) for
// progress lines. When the server stops waiting first (it caps waits), the ledger entry is
// followed to the end.
#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "cli/app_commands.h"
#include "cli/client/app_output.h"
#include "cli/client/flag_parsers.h"
#include "cli/client_common.h"
#include "cli/terminal.h"

namespace ferry::cli {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Without --timeout the server is asked to wait this long per request; a 504 then means "still
// running", and the client follows the operation in the ledger.
constexpr std::chrono::seconds kUnboundedWaitChunk{3600};
constexpr auto kPollInterval = 1s;
constexpr auto kSpinnerInterval = 100ms;

bool terminal_phase(const std::string& phase) {
  return phase == "Succeeded" || phase == "Failed" || phase == "Error" || phase == "Interrupted";
}

// Prints progress lines above the spinner: a header before the first.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(Spinner& spinner) : spinner_(spinner) {}
  void print(const std::vector<ResourceLine>& changed) {
    if (changed.empty()) return;
    std::string text = header_done_ ? "" : progress_header();
    header_done_ = true;
    std::string now = now_timestamp();
    for (const ResourceLine& line : changed) text += progress_line(now, line);
    spinner_.print(text);
  }

 private:
  Spinner& spinner_;
  bool header_done_ = false;
};

struct OperationRun {
  std::string command;    // "app sync", for messages
  std::string operation;  // "Sync" or "Rollback", for the summary
  std::string app;
  std::string path;       // POST target without the query
  Json body;
  std::chrono::seconds timeout{0};  // 0 = none
  bool async = false;
  std::string output;
};

// The app's newest ledger entry (GET …/history, newest first) if its id is above `after`, with
// its resource results so far (GET …/history/{id}); null when there is none. The ledger records
// each resource as the operation handles it, so this is the live view of a running operation.
Json newest_operation(ApiClient& client, const std::string& app, long long after) {
  auto list = client.get(app_path(app) + "/history?limit=1");
  if (!list.ok() || !list->contains("items") || !(*list)["items"].is_array() || (*list)["items"].empty()) {
    return nullptr;
  }
  const Json& newest = (*list)["items"][0];
  long long id = newest.value("id", 0LL);
  if (id <= after) return nullptr;
  auto detail = client.get(app_path(app) + "/history/" + std::to_string(id));
  return detail.ok() ? *detail : newest;
}

// A ledger entry in the shape of the sync/rollback answer.
Json result_from_entry(const Json& entry) {
  return {{"historyId", entry.value("id", 0LL)},
          {"phase", json_string(entry, {"phase"})},
          {"message", json_string(entry, {"message"})},
          {"revision", json_string(entry, {"revision"})},
          {"resources", entry.contains("resources") ? entry["resources"] : Json::array()}};
}

// Without a ledger entry: the operation the Application shows (status.operationState).
Json result_from_app(const Json& app) {
  Json op = app.contains("status") && app["status"].is_object() && app["status"].contains("operationState")
                ? app["status"]["operationState"]
                : Json::object();
  Json result = {{"phase", json_string(op, {"phase"})},
                 {"message", json_string(op, {"message"})},
                 {"revision", json_string(op, {"syncResult", "revision"})},
                 {"resources", Json::array()}};
  if (op.contains("syncResult") && op["syncResult"].contains("resources")) {
    result["resources"] = op["syncResult"]["resources"];
  }
  return result;
}

int run_operation(ApiClient& client, const OperationRun& run) {
  auto before = client.get(app_path(run.app));
  if (!before.ok()) return report_error(run.command, before.status());
  if (run.async) {
    auto started = client.post(run.path, run.body);
    if (!started.ok()) return report_error(run.command, started.status());
    if (!run.output.empty()) {
      print_structured(*started, run.output);
    } else {
      std::string id = started->contains("requestId") ? json_string(*started, {"requestId"})
                                                      : (started->contains("historyId") ? (*started)["historyId"].dump() : "");
      std::cout << run.operation << " of '" << run.app << "' started" << (id.empty() ? "" : " (" + id + ")") << "\n";
    }
    return 0;
  }

  // Whatever the ledger holds now came before this operation.
  Json previous = newest_operation(client, run.app, -1);
  long long previous_id = previous.is_object() ? previous.value("id", 0LL) : 0;
  auto started = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (run.timeout.count() > 0) deadline = started + run.timeout;
  // The server caps its wait (docs/api.md: 504 on timeout); past that the ledger is followed.
  std::chrono::seconds wait = run.timeout.count() > 0 ? run.timeout : kUnboundedWaitChunk;
  std::string target = run.path + "?wait=true&timeout=" + std::to_string(wait.count());
  // The answer may take the whole wait; the transport gives it some slack beyond that.
  auto pending = std::async(std::launch::async, [&client, target, body = run.body, wait] {
    return client.send("POST", target, &body, wait + 30s);
  });

  bool show = run.output.empty();
  Spinner spinner(show && stdout_is_tty());
  ProgressPrinter printer(spinner);
  ProgressTracker tracker;
  Json last_app = *before;
  Json entry;  // this operation's ledger entry, once it has one
  auto next_poll = started + 500ms;
  auto label = [&] {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count();
    return run.operation + " of " + run.app + " running (" + std::to_string(seconds) + "s)";
  };
  auto poll = [&] {
    // Progress is best effort: the answer to the POST (or the ledger entry) decides.
    if (auto app = client.get(app_path(run.app)); app.ok()) last_app = std::move(*app);
    Json newest = newest_operation(client, run.app, previous_id);
    if (newest.is_object()) entry = std::move(newest);
    auto lines = entry.is_object() ? result_lines(entry, last_app) : operation_lines(last_app);
    if (show && (entry.is_object() || json_string(last_app, {"status", "operationState", "phase"}) == "Running")) {
      printer.print(tracker.update(lines));
    }
  };
  auto tick = [&] {
    spinner.tick(label());
    if (Clock::now() >= next_poll) {
      poll();
      next_poll = Clock::now() + kPollInterval;
    }
  };
  while (pending.wait_for(kSpinnerInterval) != std::future_status::ready) tick();
  auto reply = pending.get();
  if (!reply.ok()) {
    spinner.clear();
    return report_error(run.command, reply.status());
  }

  Json result;
  bool timed_out = false;
  if (reply->status >= 200 && reply->status <= 299) {
    result = reply->body.is_object() ? reply->body : Json::object();
  } else if (reply->status == 504) {
    // The server stopped waiting, the operation goes on: follow its ledger entry until it ends
    // or our own deadline passes.
    while (!(entry.is_object() && terminal_phase(json_string(entry, {"phase"})))) {
      if (deadline && Clock::now() >= *deadline) {
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(kSpinnerInterval);
      tick();
    }
    result = entry.is_object() ? result_from_entry(entry) : result_from_app(last_app);
  } else {
    spinner.clear();
    return report_error(run.command, status_from_reply(*reply));
  }
  spinner.clear();

  // One more look for fresh health, then whatever the polls did not show yet.
  if (auto app = client.get(app_path(run.app)); app.ok()) last_app = std::move(*app);
  std::string phase = json_string(result, {"phase"});
  if (!show) {
    print_structured(result, run.output);
  } else {
    printer.print(tracker.update(result_lines(result, last_app)));
    std::cout << "\n" << operation_summary(run.app, run.operation, result, last_app) << std::flush;
  }
  if (timed_out) {
    return report_error(run.command, Status(Reason::kTimeout, "timed out after " + std::to_string(run.timeout.count()) +
                                                                  "s; the operation goes on (follow it with `ferry app wait " +
                                                                  run.app + " --operation`)"));
  }
  if (phase != "Succeeded") {
    std::string message = json_string(result, {"message"});
    return report_error(run.command, Status(Reason::kInternal, run.operation + " of '" + run.app + "' " +
                                                                   (phase.empty() ? "ended" : phase) +
                                                                   (message.empty() ? "" : ": " + message)));
  }
  return 0;
}

// ---- sync ----------------------------------------------------------------------------------

// A --resource without a namespace means "in any namespace", as in Argo CD: it becomes each
// resource of the app with that group, kind and name. One the app does not list yet is sent
// as given.
Json resolve_namespaces(const Json& selected, const Json& app) {
  Json out = Json::array();
  for (const Json& ref : selected) {
    if (!json_string(ref, {"namespace"}).empty()) {
      out.push_back(ref);
      continue;
    }
    bool found = false;
    for (const ResourceLine& r : resource_lines(app)) {
      if (r.group == json_string(ref, {"group"}) && r.kind == json_string(ref, {"kind"}) &&
          r.name == json_string(ref, {"name"})) {
        out.push_back({{"group", r.group}, {"kind", r.kind}, {"namespace", r.namespace_}, {"name", r.name}});
        found = true;
      }
    }
    if (!found) out.push_back(ref);
  }
  return out;
}

struct SyncFlags {
  std::string name;
  std::string revision;
  bool prune = false, dry_run = false, async = false;
  std::vector<std::string> resources, sync_options;
  std::string timeout = "0";
  std::string output;
  ConnectionFlags connection;
};

int run_sync(const SyncFlags& f) {
  auto timeout = parse_timeout(f.timeout);
  if (!timeout.ok()) return report_error("app sync", timeout.status(), true);
  Json body = Json::object();
  if (!f.revision.empty()) body["revision"] = f.revision;
  if (f.prune) body["prune"] = true;
  if (f.dry_run) body["dryRun"] = true;
  if (!f.resources.empty()) {
    body["resources"] = Json::array();
    for (const std::string& text : f.resources) {
      auto ref = parse_resource_ref(text);
      if (!ref.ok()) return report_error("app sync", ref.status(), true);
      body["resources"].push_back(
          {{"group", ref->group}, {"kind", ref->kind}, {"namespace", ref->namespace_}, {"name", ref->name}});
    }
  }
  if (!f.sync_options.empty()) {
    for (const std::string& option : f.sync_options) {
      if (option.find('=') == std::string::npos) {
        return report_error("app sync", Status::Invalid("--sync-option wants KEY=VALUE, got \"" + option + "\""), true);
      }
    }
    body["syncOptions"] = {{"items", f.sync_options}};
  }
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app sync", client.status());
  if (body.contains("resources")) {
    auto app = (*client)->get(app_path(f.name));
    if (!app.ok()) return report_error("app sync", app.status());
    body["resources"] = resolve_namespaces(body["resources"], *app);
  }
  OperationRun run{"app sync", "Sync", f.name, app_path(f.name) + "/sync", body, *timeout, f.async, f.output};
  return run_operation(**client, run);
}

// ---- rollback ------------------------------------------------------------------------------

struct RollbackFlags {
  std::string name;
  long long id = -1;
  bool prune = false, async = false;
  std::string timeout = "0";
  std::string output;
  ConnectionFlags connection;
};

int run_rollback(RollbackFlags f) {
  auto timeout = parse_timeout(f.timeout);
  if (!timeout.ok()) return report_error("app rollback", timeout.status(), true);
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app rollback", client.status());
  if (f.id < 0) {
    auto history = (*client)->list_all(app_path(f.name) + "/history");
    if (!history.ok()) return report_error("app rollback", history.status());
    f.id = previous_successful_id(*history);
    if (f.id < 0) {
      return report_error("app rollback", Status::NotFound("'" + f.name +
                                                           "' has no earlier successful deployment to roll back to"));
    }
    if (f.output.empty()) std::cout << "Rolling back '" << f.name << "' to history entry " << f.id << "\n";
  }
  Json body = {{"id", f.id}, {"prune", f.prune}};
  OperationRun run{"app rollback", "Rollback", f.name, app_path(f.name) + "/rollback", body, *timeout, f.async, f.output};
  return run_operation(**client, run);
}

// ---- wait ----------------------------------------------------------------------------------

struct WaitFlags {
  std::vector<std::string> names;
  bool sync = false, health = false, operation = false;
  std::string timeout = "0";
  ConnectionFlags connection;
};

// What is still missing, "" when the app is where the flags want it.
std::string unmet(const Json& app, const WaitFlags& f) {
  bool all = !f.sync && !f.health && !f.operation;
  std::string missing;
  auto add = [&](const std::string& what) { missing += (missing.empty() ? "" : ", ") + what; };
  std::string sync = json_string(app, {"status", "sync", "status"});
  std::string health = json_string(app, {"status", "health", "status"});
  std::string phase = json_string(app, {"status", "operationState", "phase"});
  if ((all || f.sync) && sync != "Synced") add("sync " + (sync.empty() ? std::string("Unknown") : sync));
  if ((all || f.health) && health != "Healthy") add("health " + (health.empty() ? std::string("Unknown") : health));
  bool pending = app.contains("operation") && !app["operation"].is_null();
  if ((all || f.operation) && (pending || (!phase.empty() && !terminal_phase(phase)))) {
    add("operation " + (phase.empty() ? std::string("pending") : phase));
  }
  return missing;
}

int run_wait(const WaitFlags& f) {
  auto timeout = parse_timeout(f.timeout);
  if (!timeout.ok()) return report_error("app wait", timeout.status(), true);
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app wait", client.status());
  auto started = Clock::now();
  Spinner spinner(stdout_is_tty());
  ProgressPrinter printer(spinner);
  for (const std::string& name : f.names) {
    ProgressTracker tracker;
    std::string missing = "no answer yet";
    Json app;
    auto next_poll = Clock::now();
    while (true) {
      if (Clock::now() >= next_poll) {
        auto got = (*client)->get(app_path(name));
        if (!got.ok()) return report_error("app wait", got.status());
        app = std::move(*got);
        printer.print(tracker.update(resource_lines(app)));
        missing = unmet(app, f);
        if (missing.empty()) break;
        next_poll = Clock::now() + kPollInterval;
      }
      if (timeout->count() > 0 && Clock::now() - started >= *timeout) {
        spinner.clear();
        return report_error("app wait", Status(Reason::kTimeout, "timed out after " + std::to_string(timeout->count()) +
                                                                     "s waiting for '" + name + "': " + missing));
      }
      spinner.tick("Waiting for " + name + ": " + missing);
      std::this_thread::sleep_for(kSpinnerInterval);
    }
    spinner.clear();
    std::cout << "\n" << app_details(app) << std::flush;
  }
  return 0;
}

struct TerminateFlags {
  std::string name;
  ConnectionFlags connection;
};

// As Argo CD's `app terminate-op`: asks the running operation to end; exit 0 once asked.
int run_terminate(const TerminateFlags& f) {
  auto client = connect(f.connection);
  if (!client.ok()) return report_error("app terminate-op", client.status());
  auto terminated = (*client)->del(app_path(f.name) + "/operation");
  if (!terminated.ok()) return report_error("app terminate-op", terminated.status());
  std::cout << "Application '" << f.name << "' operation terminating\n";
  return 0;
}

}  // namespace

void add_app_operation_commands(CLI::App* cmd, int& exit_code) {
  auto sync = std::make_shared<SyncFlags>();
  auto* c = cmd->add_subcommand("sync", "Sync an application to its target state and show the progress");
  c->add_option("name", sync->name, "application name")->required();
  c->add_option("--revision", sync->revision, "sync to this revision instead of the target");
  c->add_flag("--prune", sync->prune, "delete resources that are no longer in git");
  c->add_flag("--dry-run", sync->dry_run, "preview: apply nothing");
  c->add_option("--resource", sync->resources, "only this resource, GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME (repeatable)")
      ->allow_extra_args(false);
  c->add_option("--sync-option", sync->sync_options, "sync option KEY=VALUE for this sync (repeatable)")
      ->allow_extra_args(false);
  c->add_option("--timeout", sync->timeout, "give up after this long: seconds or a duration such as 2m (0 = never)");
  c->add_flag("--async", sync->async, "start the sync and return");
  add_output_flag(c, sync->output, {"json", "yaml"});
  add_connection_flags(c, sync->connection);
  c->callback([sync, &exit_code] { exit_code = run_sync(*sync); });

  auto rollback = std::make_shared<RollbackFlags>();
  c = cmd->add_subcommand("rollback", "Re-apply exactly what an earlier deployment applied");
  c->add_option("name", rollback->name, "application name")->required();
  c->add_option("id", rollback->id, "history ID (default: the previous successful deployment)")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--prune", rollback->prune, "delete resources that the target deployment did not have");
  c->add_option("--timeout", rollback->timeout, "give up after this long: seconds or a duration (0 = never)");
  c->add_flag("--async", rollback->async, "start the rollback and return");
  add_output_flag(c, rollback->output, {"json", "yaml"});
  add_connection_flags(c, rollback->connection);
  c->callback([rollback, &exit_code] { exit_code = run_rollback(*rollback); });

  auto terminate = std::make_shared<TerminateFlags>();
  c = cmd->add_subcommand("terminate-op", "End an application's running sync or rollback");
  c->add_option("name", terminate->name, "application name")->required();
  add_connection_flags(c, terminate->connection);
  c->callback([terminate, &exit_code] { exit_code = run_terminate(*terminate); });

  auto wait = std::make_shared<WaitFlags>();
  c = cmd->add_subcommand("wait", "Wait until applications are synced, healthy and idle");
  c->add_option("names", wait->names, "application names")->required();
  c->add_flag("--sync", wait->sync, "wait for Synced");
  c->add_flag("--health", wait->health, "wait for Healthy");
  c->add_flag("--operation", wait->operation, "wait until no operation runs");
  c->add_option("--timeout", wait->timeout, "give up after this long: seconds or a duration (0 = never)");
  add_connection_flags(c, wait->connection);
  c->callback([wait, &exit_code] { exit_code = run_wait(*wait); });
}

}  // namespace ferry::cli
