// `ferry controller`: the long-running controller (DESIGN.md §11). One port serves /healthz,
// /readyz and /metrics (and, as they land, the API, webhooks and UI).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "apis/http/server.h"
#include "cli/commands.h"
#include "cli/listen.h"
#include "apis/types/log.h"
#include "cli/surfaces.h"
#include "reconciler/source/credentials.h"
#include "cli/signals.h"
#include "apis/types/duration.h"
#include "controller/controller.h"
#include "controller/leases.h"
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
  std::string store;  // "" = <data-dir>/ferry.db
  bool leader_elect = false;
  int shards = 0;  // 0 = no sharding
  std::string replica_id;
  std::string lease_duration = "15s", renew_deadline = "10s", retry_period = "2s";
};

std::atomic<bool> lease_lost{false};

// Leader election / sharding from the flags; null when neither is asked for.
Result<std::shared_ptr<controller::ShardLeases>> make_leases(const ControllerFlags& flags, const kube::RestConfig& config,
                                                             const store::Store& db) {
  if (!flags.leader_elect && flags.shards == 0) return std::shared_ptr<controller::ShardLeases>();
  if (flags.leader_elect && flags.shards > 0) {
    return Status::Invalid("--leader-elect and --shards exclude each other: with --shards every replica works");
  }
  if (!db.shared()) {
    return Status::Invalid(std::string(flags.leader_elect ? "--leader-elect" : "--shards") +
                           " needs a store every replica shares (--store postgres://...): the SQLite store "
                           "is a file on one replica's disk, so another replica taking over would not see its "
                           "history, manifests or accounts");
  }
  controller::LeaseOptions options;
  options.namespace_ = flags.namespace_;
  options.identity = flags.replica_id.empty() ? controller::default_identity() : flags.replica_id;
  options.shards = flags.leader_elect ? 1 : flags.shards;
  struct Timing {
    const char* flag;
    const std::string& text;
    std::chrono::milliseconds& into;
  };
  for (const Timing& t : {Timing{"--leader-elect-lease-duration", flags.lease_duration, options.lease_duration},
                          Timing{"--leader-elect-renew-deadline", flags.renew_deadline, options.renew_deadline},
                          Timing{"--leader-elect-retry-period", flags.retry_period, options.retry_period}}) {
    auto parsed = apis::parse_duration(t.text);
    if (!parsed.ok()) return Status::Invalid(std::string(t.flag) + ": " + parsed.status().message());
    t.into = *parsed;
  }
  // A client of its own, with few retries: a renewal must not wait behind the controller's
  // traffic or back off past the renew deadline.
  kube::ClientOptions client_options;
  client_options.max_retries = 1;
  client_options.qps = 0;
  kube::TransportOptions transport;
  transport.timeout = options.renew_deadline / 2;  // two tries fit before the holder must give up
  auto client = kube::Client::connect(config, client_options, transport);
  if (!client.ok()) return client.status();
  return std::make_shared<controller::ShardLeases>(*client, options);
}

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
  auto opened = store::Store::open_url(flags.store.empty() ? flags.data_dir + "/ferry.db" : flags.store);
  if (!opened.ok()) {
    std::cerr << "ferry controller: " << opened.status().to_string() << "\n";
    return 1;
  }
  std::shared_ptr<store::Store> db = std::move(*opened);
  auto leases = make_leases(flags, *config, *db);
  if (!leases.ok()) {
    std::cerr << "ferry controller: " << leases.status().to_string() << "\n";
    return 2;
  }

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
  if (*leases) {
    // A shard we could not renew in time may already be another replica's: stop now, as
    // client-go's leader election does; the Deployment restarts the pod.
    controller.use_leases(*leases, [] {
      lease_lost = true;
      kill(getpid(), SIGTERM);
    });
  }
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
  if (lease_lost) {
    std::cerr << "ferry controller: stopped: a shard lease could not be renewed in time\n";
    return 1;
  }
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
  cmd->add_option("--store", flags->store,
                  "ledger: a SQLite file (default <data-dir>/ferry.db) or postgres://user:password@host/db, "
                  "which several replicas share (env FERRY_STORE keeps the password out of the arguments)")
      ->envname("FERRY_STORE");
  cmd->add_flag("--leader-elect", flags->leader_elect,
                "run as one of several replicas: the holder of the Lease <namespace>/ferry-controller-leader "
                "reconciles, the others stand by (needs --store postgres://...)");
  cmd->add_option("--shards", flags->shards,
                  "spread the apps over N shards, each a Lease held by one of the running replicas "
                  "(needs --store postgres://...)");
  cmd->add_option("--replica-id", flags->replica_id, "this replica's Lease holder identity (default: POD_NAME or "
                                                     "the host name, plus a random suffix)");
  cmd->add_option("--leader-elect-lease-duration", flags->lease_duration,
                  "how long a Lease stays held without renewal; a standby takes over after it")
      ->capture_default_str();
  cmd->add_option("--leader-elect-renew-deadline", flags->renew_deadline,
                  "a holder that has not renewed for this long gives its Leases up")
      ->capture_default_str();
  cmd->add_option("--leader-elect-retry-period", flags->retry_period, "how often Leases are renewed and tried")
      ->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = run_controller(*flags); });
}

}  // namespace ferry::cli
