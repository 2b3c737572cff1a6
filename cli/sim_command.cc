#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/listen.h"
#include "cli/signals.h"
#include "kube/sim/api_server.h"

namespace ferry::cli {
namespace {

struct SimFlags {
  std::string listen = "127.0.0.1:6443";
  std::string kubeconfig_out;
  std::string client_cert_kubeconfig_out;
  bool tls = false;
  int ready_delay_ms = 500;
  std::string token;
  int threads = 2;
};

// Kubeconfigs hold credentials: owner-only, like kubectl writes them.
bool write_private_file(const std::string& path, const std::string& content) {
  if (path.empty()) return true;
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  std::error_code ec;
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  if (!out || ec) {
    std::cerr << "ferry sim: cannot write " << path << "\n";
    return false;
  }
  return true;
}

int run_sim(const SimFlags& flags) {
  block_termination_signals();  // before any thread starts
  kube::sim::SimOptions options;
  if (!split_listen(flags.listen, options.host, options.port)) {
    std::cerr << "ferry sim: --listen wants HOST:PORT, got \"" << flags.listen << "\"\n";
    return 2;
  }
  options.tls = flags.tls;
  options.ready_delay_ms = flags.ready_delay_ms;
  options.token = flags.token;
  options.threads = flags.threads;
  kube::sim::ApiServer server(options);
  std::string error = server.start();
  if (!error.empty()) {
    std::cerr << "ferry sim: " << error << "\n";
    return 1;
  }
  if (!write_private_file(flags.kubeconfig_out, server.kubeconfig())) return 1;
  if (!flags.client_cert_kubeconfig_out.empty() && !flags.tls) {
    std::cerr << "ferry sim: --client-cert-kubeconfig-out needs --tls\n";
    return 2;
  }
  if (!write_private_file(flags.client_cert_kubeconfig_out, server.client_cert_kubeconfig())) return 1;
  std::cout << "ferry sim ready on " << server.server_url() << (flags.kubeconfig_out.empty() ? "" : " kubeconfig ")
            << flags.kubeconfig_out << std::endl;
  wait_for_termination();
  server.stop();
  return 0;
}

}  // namespace

void add_sim_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<SimFlags>();
  auto* cmd = app.add_subcommand("sim", "Run the Kubernetes API simulator (for tests, benchmarks and demos)");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to serve on (port 0 picks one)");
  cmd->add_option("--kubeconfig-out", flags->kubeconfig_out, "write a kubeconfig for this simulator here");
  cmd->add_option("--client-cert-kubeconfig-out", flags->client_cert_kubeconfig_out,
                  "also write a kubeconfig that authenticates with a client certificate (needs --tls)");
  cmd->add_flag("--tls", flags->tls, "serve HTTPS with a generated CA (in the kubeconfig)");
  cmd->add_option("--ready-delay-ms", flags->ready_delay_ms, "how long workloads take to become ready");
  cmd->add_option("--token", flags->token, "bearer token to require (generated when absent)");
  cmd->add_option("--threads", flags->threads, "I/O threads");
  cmd->callback([flags, &exit_code] { exit_code = run_sim(*flags); });
}

}  // namespace ferry::cli
