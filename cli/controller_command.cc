// `ferry controller`: the long-running controller (DESIGN.md §11). One port serves /healthz,
// /readyz and /metrics (and, as they land, the API, webhooks and UI).
#include <filesystem>
#include <iostream>

#include "apis/http/server.h"
#include "cli/commands.h"
#include "cli/listen.h"
#include "apis/types/log.h"
#include "cli/surfaces.h"
#include "reconciler/source/credentials.h"
#include "cli/signals.h"
#include "controller/controller.h"
#include "kube/client/kubeconfig.h"
#include "store/store.h"

namespace ferry::cli {
namespace {

struct ControllerFlags {
  std::string kubeconfig;
  std::string context;
  std::string namespace_ = "ferry";
  std::string data_dir = "/var/lib/ferry";
  std::string listen = "127.0.0.1:8080";
  std::string settings;
  std::string admin_password_file;
  int workers = 8;
  int resync_seconds = 120;
  int resync_jitter_seconds = 60;
  double kube_qps = 50;
  int kube_burst = 100;
  int poll_interval_ms = 1000;
  int wave_delay_ms = 1000;
  std::string ui_dir;
  std::string tls_cert, tls_key;
  std::string log_format = "json", log_level = "info";
  bool namespaced = false;
};

int run_controller(const ControllerFlags& flags) {
  block_termination_signals();  // before any thread starts
  log::Format format;
  log::Level level;
  if (!log::parse_format(flags.log_format, format) || !log::parse_level(flags.log_level, level)) {
    std::cerr << "ferry controller: --log-format is json or text; --log-level debug, info, warn or error\n";
    return 2;
  }
  log::configure(format, level);
  std::string host;
  int port = 0;
  if (!split_listen(flags.listen, host, port)) {
    std::cerr << "ferry controller: --listen wants HOST:PORT, got \"" << flags.listen << "\"\n";
    return 2;
  }
  auto config = flags.kubeconfig.empty() ? kube::load_default(flags.context)
                                         : kube::load_kubeconfig({flags.kubeconfig}, flags.context);
  if (!config.ok()) {
    std::cerr << "ferry controller: " << config.status().to_string() << "\n";
    return 1;
  }
  kube::ClientOptions client_options;
  client_options.qps = flags.kube_qps;
  client_options.burst = flags.kube_burst;
  auto client = kube::Client::connect(*config, client_options);
  if (!client.ok()) {
    std::cerr << "ferry controller: " << client.status().to_string() << "\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.data_dir, ec);
  auto opened = store::Store::open(flags.data_dir + "/ferry.db");
  if (!opened.ok()) {
    std::cerr << "ferry controller: " << opened.status().to_string() << "\n";
    return 1;
  }
  std::shared_ptr<store::Store> db = std::move(*opened);

  controller::ControllerOptions options;
  options.namespace_ = flags.namespace_;
  options.data_dir = flags.data_dir;
  options.workers = flags.workers;
  options.resync = std::chrono::seconds(flags.resync_seconds);
  options.resync_jitter = std::chrono::seconds(flags.resync_jitter_seconds);
  options.poll_interval = std::chrono::milliseconds(flags.poll_interval_ms);
  options.wave_delay = std::chrono::milliseconds(flags.wave_delay_ms);
  if (flags.namespaced) {
    options.register_crd = false;
    options.resources_namespace = flags.namespace_;
  }
  controller::Controller controller(*client, db, options);
  Status started = controller.start();
  if (!started.ok()) {
    std::cerr << "ferry controller: " << started.to_string() << "\n";
    return 1;
  }

  SurfaceOptions surface_options;
  surface_options.data_dir = flags.data_dir;
  surface_options.settings_path = flags.settings;
  surface_options.admin_password_file = flags.admin_password_file;
  surface_options.ui_dir = flags.ui_dir;
  auto surfaces = Surfaces::create(controller, db, surface_options);
  if (!surfaces.ok()) {
    std::cerr << "ferry controller: " << surfaces.status().to_string() << "\n";
    controller.stop();
    return 1;
  }
  if (!(*surfaces)->admin_password_path().empty()) {
    log::info("admin password", {{"file", (*surfaces)->admin_password_path()}});
  }

  http::ServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  server_options.threads = 4;
  server_options.max_body_bytes = (*surfaces)->max_body_bytes();
  server_options.gzip_min_bytes = 1024;  // an app list of 1,000 apps shrinks ~10x
  if (!flags.tls_cert.empty() || !flags.tls_key.empty()) {
    auto cert = reconciler::read_file(flags.tls_cert);
    auto key = reconciler::read_file(flags.tls_key);
    if (!cert.ok() || !key.ok()) {
      std::cerr << "ferry controller: " << (cert.ok() ? key.status() : cert.status()).to_string() << "\n";
      controller.stop();
      return 1;
    }
    server_options.tls_cert_pem = *cert;
    server_options.tls_key_pem = *key;
  }
  http::Server server(server_options, (*surfaces)->handler());
  std::string error = server.start();
  if (!error.empty()) {
    std::cerr << "ferry controller: " << error << "\n";
    controller.stop();
    return 1;
  }
  std::string scheme = server_options.tls_cert_pem.empty() ? "http" : "https";
  log::info("ferry controller ready on " + scheme + "://" + host + ":" + std::to_string(server.port()) +
                " namespace " + flags.namespace_,
            {{"listen", host + ":" + std::to_string(server.port())}, {"namespace", flags.namespace_}});
  wait_for_termination();
  server.stop();
  surfaces->reset();
  controller.stop();
  return 0;
}

}  // namespace

void add_controller_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ControllerFlags>();
  auto* cmd = app.add_subcommand("controller", "Run the GitOps controller");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file (default: in-cluster, then ~/.kube/config)");
  cmd->add_option("--context", flags->context, "kubeconfig context");
  cmd->add_option("--namespace", flags->namespace_, "namespace of the Applications")->capture_default_str();
  cmd->add_option("--data-dir", flags->data_dir, "git mirrors and the SQLite ledger")->capture_default_str();
  cmd->add_option("--listen", flags->listen, "HOST:PORT for /healthz, /readyz, /metrics and the API")
      ->capture_default_str();
  cmd->add_option("--settings", flags->settings, "settings file (accounts, RBAC, webhooks, repositories)");
  cmd->add_option("--admin-password-file", flags->admin_password_file, "file holding the admin password");
  cmd->add_option("--workers", flags->workers, "apps reconciled in parallel")->capture_default_str();
  cmd->add_option("--resync-seconds", flags->resync_seconds, "refresh period")->capture_default_str();
  cmd->add_option("--resync-jitter-seconds", flags->resync_jitter_seconds, "random extra delay per refresh")
      ->capture_default_str();
  cmd->add_option("--kube-qps", flags->kube_qps, "client-side rate limit (0 = off)")->capture_default_str();
  cmd->add_option("--kube-burst", flags->kube_burst, "client-side burst")->capture_default_str();
  cmd->add_option("--health-poll-ms", flags->poll_interval_ms, "health polling during a sync")->capture_default_str();
  cmd->add_option("--wave-delay-ms", flags->wave_delay_ms, "pause between sync waves")->capture_default_str();
  cmd->add_option("--ui-dir", flags->ui_dir, "serve the UI from this directory instead of the built-in copy");
  cmd->add_option("--tls-cert", flags->tls_cert, "PEM certificate: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", flags->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--log-format", flags->log_format, "json or text")->capture_default_str();
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn or error")->capture_default_str();
  cmd->add_flag("--namespaced", flags->namespaced,
                "for installs with only a Role: do not register the CRDs (a cluster admin applies them) and "
                "watch managed resources in --namespace only");
  cmd->callback([flags, &exit_code] { exit_code = run_controller(*flags); });
}

}  // namespace ferry::cli
