// `ferry demo`: the main job as far as it exists. Today: the simulator over HTTPS with a
// kubeconfig, the examples applied to it with real kubectl, and directions for looking around.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/signals.h"
#include "kube/sim/api_server.h"

namespace ferry::cli {
namespace {

struct DemoFlags {
  std::string dir = "/tmp/ferry-demo";
  std::string examples = "examples/guestbook";
  std::string kubectl = "/opt/ferry/tools/kubectl";
  int port = 6443;
  bool exit_after_setup = false;
};

int run_kubectl(const DemoFlags& flags, const std::string& kubeconfig, const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> argv = {flags.kubectl, "--kubeconfig", kubeconfig};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int run_demo(const DemoFlags& flags) {
  std::filesystem::create_directories(flags.dir);
  kube::sim::SimOptions options;
  options.port = flags.port;
  options.tls = true;
  auto server = std::make_unique<kube::sim::ApiServer>(options);
  std::string error = server->start();
  if (!error.empty()) {
    options.port = 0;  // the usual port is taken: any free one will do
    server = std::make_unique<kube::sim::ApiServer>(options);
    error = server->start();
  }
  kube::sim::ApiServer& sim = *server;
  if (!error.empty()) {
    std::cerr << "ferry demo: " << error << "\n";
    return 1;
  }
  std::string kubeconfig = flags.dir + "/kubeconfig";
  {
    std::ofstream out(kubeconfig, std::ios::trunc);
    out << sim.kubeconfig();
  }
  std::filesystem::permissions(kubeconfig, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::cout << "Ferry demo\n"
            << "  Kubernetes API simulator: " << sim.server_url() << "\n"
            << "  kubeconfig:               " << kubeconfig << "\n";
  if (std::filesystem::exists(flags.kubectl) && std::filesystem::exists(flags.examples)) {
    std::cout << "  applying " << flags.examples << " with kubectl --server-side ...\n" << std::flush;
    run_kubectl(flags, kubeconfig, {"apply", "--server-side", "-n", "default", "-f", flags.examples});
    run_kubectl(flags, kubeconfig, {"rollout", "status", "deployment/guestbook", "-n", "default", "--timeout=30s"});
  }
  std::cout << "\nLook around:\n"
            << "  export KUBECONFIG=" << kubeconfig << "\n"
            << "  kubectl get all -A\n"
            << "  kubectl get deployment guestbook -o yaml\n"
            << "  kubectl get --raw /sim/stats\n"
            << "The controller, API and UI join this demo as they land. Ctrl-C stops.\n"
            << "ready" << std::endl;
  if (!flags.exit_after_setup) wait_for_termination();
  sim.stop();
  return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand("demo", "Run the demo: simulator, example apps, and where to look");
  cmd->add_option("--dir", flags->dir, "where the demo keeps its kubeconfig");
  cmd->add_option("--examples", flags->examples, "example manifests to apply");
  cmd->add_option("--kubectl", flags->kubectl, "kubectl binary");
  cmd->add_option("--port", flags->port, "simulator port");
  cmd->add_flag("--exit-after-setup", flags->exit_after_setup, "stop once everything is set up (for tests)");
  cmd->callback([flags, &exit_code] { exit_code = run_demo(*flags); });
}

}  // namespace ferry::cli
