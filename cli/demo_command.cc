// `ferry demo`: the whole product on one machine. It starts the Kubernetes API simulator,
// commits examples/ to a local git repository, runs the controller (with /healthz, /readyz and
// /metrics), registers the root app-of-apps Application, and prints where to look.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "apis/http/server.h"
#include "cli/commands.h"
#include "cli/listen.h"
#include "cli/surfaces.h"
#include "cli/signals.h"
#include "controller/controller.h"
#include "kube/client/kubeconfig.h"
#include "kube/sim/api_server.h"
#include "store/store.h"

namespace ferry::cli {
namespace {

namespace fs = std::filesystem;

struct DemoFlags {
  std::string dir = "/tmp/ferry-demo";
  std::string examples = "examples";
  int port = 6443;                       // the simulator's
  std::string listen = "127.0.0.1:8080";  // the controller's
  bool exit_after_setup = false;
  int timeout_seconds = 180;
};

// Runs a command (no shell) in `cwd`; its output goes to `log`. Returns the exit code.
int run_in(const std::string& cwd, const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t no_signals;  // the demo blocks SIGINT/SIGTERM for its sigwait; git must not inherit that
    sigemptyset(&no_signals);
    sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    FILE* out = std::fopen(log.c_str(), "a");
    if (out) {
      dup2(fileno(out), 1);
      dup2(fileno(out), 2);
    }
    setenv("GIT_AUTHOR_NAME", "Ferry demo", 1);
    setenv("GIT_AUTHOR_EMAIL", "demo@ferry.dev", 1);
    setenv("GIT_COMMITTER_NAME", "Ferry demo", 1);
    setenv("GIT_COMMITTER_EMAIL", "demo@ferry.dev", 1);
    std::vector<char*> c;
    std::vector<std::string> args = argv;
    for (auto& a : args) c.push_back(a.data());
    c.push_back(nullptr);
    execvp(c[0], c.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// examples/ → <dir>/config-repo/examples, committed on branch main. Returns the file:// URL.
Result<std::string> make_config_repo(const DemoFlags& flags) {
  std::string repo = flags.dir + "/config-repo";
  std::error_code ec;
  fs::remove_all(repo, ec);
  fs::create_directories(repo + "/examples", ec);
  fs::copy(flags.examples, repo + "/examples", fs::copy_options::recursive, ec);
  if (ec) return Status::Invalid("copying " + flags.examples + ": " + ec.message());
  std::string log = flags.dir + "/git.log";
  if (run_in(repo, {"git", "init", "-q", "-b", "main"}, log) != 0 || run_in(repo, {"git", "add", "-A"}, log) != 0 ||
      run_in(repo, {"git", "commit", "-q", "-m", "Ferry examples"}, log) != 0) {
    return Status::Internal("git failed; see " + log);
  }
  return "file://" + fs::absolute(repo).string();
}

struct AppRow {
  std::string name, sync, health, revision;
};

std::vector<AppRow> app_rows(kube::Client& client) {
  std::vector<AppRow> rows;
  auto listed = client.list({"ferry.dev/v1alpha1", "Application", "ferry", ""});
  if (!listed.ok()) return rows;
  for (const auto& item : (*listed)["items"]) {
    Json status = item.value("status", Json::object());
    rows.push_back({item["metadata"].value("name", ""), status.value("sync", Json::object()).value("status", ""),
                    status.value("health", Json::object()).value("status", ""),
                    status.value("sync", Json::object()).value("revision", "").substr(0, 7)});
  }
  return rows;
}

int run_demo(const DemoFlags& flags) {
  block_termination_signals();  // before any thread starts
  std::error_code ec;
  fs::create_directories(flags.dir, ec);
  if (!fs::exists(flags.examples + "/apps/Chart.yaml")) {
    std::cerr << "ferry demo: " << flags.examples << " does not look like Ferry's examples/ folder (no apps/Chart.yaml)\n";
    return 2;
  }

  // 1. The simulator, over HTTPS.
  kube::sim::SimOptions sim_options;
  sim_options.port = flags.port;
  sim_options.tls = true;
  sim_options.ready_delay_ms = 1000;
  auto sim = std::make_unique<kube::sim::ApiServer>(sim_options);
  std::string error = sim->start();
  if (!error.empty()) {
    sim_options.port = 0;  // the usual port is taken: any free one will do
    sim = std::make_unique<kube::sim::ApiServer>(sim_options);
    error = sim->start();
  }
  if (!error.empty()) {
    std::cerr << "ferry demo: " << error << "\n";
    return 1;
  }
  std::string kubeconfig = flags.dir + "/kubeconfig";
  {
    std::ofstream out(kubeconfig, std::ios::trunc);
    out << sim->kubeconfig();
  }
  fs::permissions(kubeconfig, fs::perms::owner_read | fs::perms::owner_write, ec);

  // 2. The config repository.
  auto repo_url = make_config_repo(flags);
  if (!repo_url.ok()) {
    std::cerr << "ferry demo: " << repo_url.status().to_string() << "\n";
    return 1;
  }

  // 3. The controller and its port.
  auto config = kube::load_kubeconfig({kubeconfig});
  if (!config.ok()) {
    std::cerr << "ferry demo: " << config.status().to_string() << "\n";
    return 1;
  }
  kube::ClientOptions client_options;
  client_options.qps = 0;
  auto client = kube::Client::connect(*config, client_options);
  if (!client.ok()) {
    std::cerr << "ferry demo: " << client.status().to_string() << "\n";
    return 1;
  }
  (void)(*client)->apply({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "ferry"}}}});
  auto db = store::Store::open(flags.dir + "/ferry.db");
  if (!db.ok()) {
    std::cerr << "ferry demo: " << db.status().to_string() << "\n";
    return 1;
  }
  controller::ControllerOptions options;
  options.namespace_ = "ferry";
  options.data_dir = flags.dir + "/data";
  options.resync = std::chrono::seconds(30);
  options.resync_jitter = std::chrono::seconds(5);
  options.poll_interval = std::chrono::milliseconds(250);
  options.wave_delay = std::chrono::milliseconds(0);
  std::shared_ptr<store::Store> db_shared(std::move(*db));
  controller::Controller controller(*client, db_shared, options);
  Status started = controller.start();
  if (!started.ok()) {
    std::cerr << "ferry demo: " << started.to_string() << "\n";
    return 1;
  }
  http::ServerOptions server_options;
  if (!split_listen(flags.listen, server_options.host, server_options.port)) {
    std::cerr << "ferry demo: --listen wants HOST:PORT\n";
    return 2;
  }
  SurfaceOptions surface_options;
  surface_options.data_dir = options.data_dir;
  auto surfaces = Surfaces::create(controller, db_shared, surface_options);
  if (!surfaces.ok()) {
    std::cerr << "ferry demo: " << surfaces.status().to_string() << "\n";
    return 1;
  }
  server_options.max_body_bytes = (*surfaces)->max_body_bytes();
  server_options.threads = 4;
  auto server = std::make_unique<http::Server>(server_options, (*surfaces)->handler());
  if (!server->start().empty()) {
    server_options.port = 0;
    server = std::make_unique<http::Server>(server_options, (*surfaces)->handler());
    error = server->start();
    if (!error.empty()) {
      std::cerr << "ferry demo: " << error << "\n";
      return 1;
    }
  }

  // 4. The root Application: the app-of-apps chart, told where the repository is.
  Json root = {{"apiVersion", "ferry.dev/v1alpha1"},
               {"kind", "Application"},
               {"metadata", {{"name", "apps"}, {"namespace", "ferry"}}},
               {"spec",
                {{"project", "default"},
                 {"source",
                  {{"repoURL", *repo_url},
                   {"targetRevision", "main"},
                   {"path", "examples/apps"},
                   {"helm", {{"parameters", {{{"name", "repoURL"}, {"value", *repo_url}},
                                             {{"name", "targetRevision"}, {"value", "main"}}}}}}}},
                 {"destination", {{"server", "https://kubernetes.default.svc"}, {"namespace", "ferry"}}},
                 {"syncPolicy", {{"automated", {{"prune", true}, {"selfHeal", true}}}}}}}};
  auto applied = (*client)->apply(root, {"ferry-demo", true, false});
  if (!applied.ok()) {
    std::cerr << "ferry demo: registering the root app: " << applied.status().to_string() << "\n";
    return 1;
  }

  std::string ui = "http://" + server_options.host + ":" + std::to_string(server->port());
  std::cout << "Ferry demo\n"
            << "  Kubernetes API simulator: " << sim->server_url() << "\n"
            << "  kubeconfig:               " << kubeconfig << "\n"
            << "  config repository:        " << *repo_url << " (edit, commit: Ferry follows)\n"
            << "  web UI and API:           " << ui << "/  (user admin, password in "
            << (*surfaces)->admin_password_path() << ")\n"
            << "  controller:               " << ui << "/healthz, " << ui << "/metrics\n"
            << "  history (SQLite):         " << flags.dir << "/ferry.db\n"
            << "Waiting for the apps to sync...\n"
            << std::flush;

  // 5. Wait for the tree to settle, then show it.
  bool settled = false;
  std::vector<AppRow> rows;
  for (int i = 0; i < flags.timeout_seconds * 2 && !settled; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    rows = app_rows(**client);
    settled = rows.size() >= 5;
    for (const auto& r : rows) settled = settled && r.sync == "Synced" && r.health == "Healthy";
  }
  std::cout << "\n  " << std::left << std::setw(18) << "APPLICATION" << std::setw(11) << "SYNC" << std::setw(13)
            << "HEALTH" << "REVISION\n";
  for (const auto& r : rows) {
    std::cout << "  " << std::setw(18) << r.name << std::setw(11) << r.sync << std::setw(13) << r.health << r.revision
              << "\n";
  }
  std::cout << (settled ? "\nAll applications are Synced and Healthy.\n" : "\nNot everything settled in time.\n")
            << "\nLook around:\n"
            << "  export KUBECONFIG=" << kubeconfig << "\n"
            << "  kubectl get applications -n ferry\n"
            << "  build/ferry login " << ui << " --username admin --password \"$(cat "
            << (*surfaces)->admin_password_path() << ")\"\n"
            << "  build/ferry app list\n"
            << "  kubectl get all -A\n"
            << "  kubectl patch deployment guestbook -n guestbook -p '{\"spec\":{\"replicas\":5}}'   # self-heal undoes it\n"
            << "  sqlite3 " << flags.dir << "/ferry.db 'select id, app, revision, phase from operations'\n"
            << "Ctrl-C stops.\n"
            << "ready" << std::endl;
  if (!flags.exit_after_setup) wait_for_termination();
  server->stop();
  surfaces->reset();
  controller.stop();
  sim->stop();
  return settled ? 0 : 1;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand("demo", "Run the demo: simulator, example config repo, controller, and where to look");
  cmd->add_option("--dir", flags->dir, "where the demo keeps its files")->capture_default_str();
  cmd->add_option("--examples", flags->examples, "Ferry's examples/ folder")->capture_default_str();
  cmd->add_option("--port", flags->port, "simulator port (0 = any)")->capture_default_str();
  cmd->add_option("--listen", flags->listen, "controller HOST:PORT")->capture_default_str();
  cmd->add_option("--timeout", flags->timeout_seconds, "seconds to wait for the apps to settle")->capture_default_str();
  cmd->add_flag("--exit-after-setup", flags->exit_after_setup, "stop once everything has settled (for tests)");
  cmd->callback([flags, &exit_code] { exit_code = run_demo(*flags); });
}

}  // namespace ferry::cli
