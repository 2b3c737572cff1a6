#include "cli/surfaces.h"

#include <iostream>
#include <sstream>

#include "apis/server/static_files.h"
#include "apis/types/log.h"
#include "reconciler/source/credentials.h"

namespace ferry::cli {
namespace {

http::Response plain(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

webhook::AppSource webhook_source(const apis::Json& app) {
  webhook::AppSource source;
  source.name = app["metadata"].value("name", "");
  source.repo_url = app.value("/spec/source/repoURL"_json_pointer, std::string());
  source.target_revision = app.value("/spec/source/targetRevision"_json_pointer, std::string());
  std::string annotation = app.value("/metadata/annotations"_json_pointer, apis::Json::object())
                               .value(std::string(webhook::kManifestGeneratePathsAnnotation), "");
  source.paths = webhook::watch_paths(app.value("/spec/source/path"_json_pointer, std::string()), annotation);
  return source;
}

}  // namespace

Surfaces::Surfaces(controller::Controller& controller, std::shared_ptr<store::Store> store, SurfaceOptions options)
    : controller_(controller),
      webhook_sources_(controller, [](apis::Json app) { return std::optional(webhook_source(app)); }),
      store_(std::move(store)),
      options_(std::move(options)) {}

Result<std::unique_ptr<Surfaces>> Surfaces::create(controller::Controller& controller,
                                                   std::shared_ptr<store::Store> store, SurfaceOptions options) {
  std::unique_ptr<Surfaces> s(new Surfaces(controller, std::move(store), std::move(options)));
  apis::Settings settings;
  if (!s->options_.settings_path.empty()) {
    auto loaded = apis::load_settings(s->options_.settings_path);
    if (!loaded.ok()) return loaded.status();
    settings = std::move(*loaded);
    // Taken after loading: an edit made in between shows up as a change at the first poll.
    auto fingerprint = apis::settings_fingerprint(s->options_.settings_path, settings.secret_files);
    if (fingerprint.ok()) s->fingerprint_ = *fingerprint;
  }
  s->auth_ = std::make_unique<auth::Authenticator>(*s->store_, settings);
  Status applied = s->apply_settings(std::move(settings));
  if (!applied.ok()) return applied;
  auto admin = s->auth_->ensure_admin(s->options_.data_dir, s->options_.admin_password_file);
  if (!admin.ok()) return admin.status();
  s->admin_password_path_ = s->options_.admin_password_file.empty() ? admin->password_file : "";

  webhook::DispatchTarget& target = *s;
  s->dispatcher_ = std::make_unique<webhook::Dispatcher>(target);
  s->dispatcher_->start();
  Surfaces* self = s.get();
  s->webhook_ = std::make_unique<webhook::WebhookHandler>(
      [self]() {
        auto current = self->settings();
        webhook::WebhookSecrets secrets;
        secrets.github = current->webhook_github_secret;
        secrets.gitlab = current->webhook_gitlab_secret;
        secrets.gogs = current->webhook_gogs_secret;
        secrets.bitbucket_uuid = current->webhook_bitbucket_uuid;
        secrets.bitbucket = current->webhook_bitbucket_secret;
        secrets.bitbucket_server = current->webhook_bitbucket_server_secret;
        secrets.max_payload_bytes = static_cast<size_t>(current->webhook_max_payload_bytes);
        return secrets;
      },
      *s->dispatcher_);
  s->api_ = std::make_unique<apis::ApiServer>(controller, *s->store_, *s->auth_, [self]() {
    std::lock_guard<std::mutex> lock(self->mu_);
    return self->policy_;
  });
  if (!s->options_.settings_path.empty()) s->watcher_ = std::thread([self] { self->watch_settings(); });
  return s;
}

Surfaces::~Surfaces() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    stopping_ = true;
  }
  watch_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (dispatcher_) dispatcher_->stop();
  api_.reset();
  webhook_.reset();
  dispatcher_.reset();
}

std::shared_ptr<const apis::Settings> Surfaces::settings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return settings_;
}

Status Surfaces::apply_settings(apis::Settings settings) {
  auto policy = auth::Policy::parse(settings.policy_csv, settings.policy_default);
  if (!policy.ok()) return Status::Invalid("settings: policy.csv: " + policy.status().message());
  auto gates = reconciler::policy::settings_policy(settings);
  if (!gates.ok()) return Status::Invalid("settings: policy gates: " + gates.status().message());
  auto shared = std::make_shared<const apis::Settings>(std::move(settings));
  Status synced = auth_->set_settings(*shared);
  if (!synced.ok()) return synced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    settings_ = shared;
    policy_ = std::make_shared<const auth::Policy>(std::move(*policy));
  }
  controller_.set_default_policy(std::move(*gates));
  controller_.set_credentials([shared](const std::string& url) {
    reconciler::Credentials credentials;
    if (const auto* found = apis::find_repository_credential(*shared, url)) {
      credentials.username = found->username;
      credentials.password = found->password;
      credentials.ssh_private_key = found->ssh_private_key;
      credentials.ssh_passphrase = found->ssh_passphrase;
      credentials.insecure_ignore_host_key = found->insecure_ignore_host_key;
    }
    return credentials;
  });
  return Status::Ok();
}

void Surfaces::watch_settings() {
  std::unique_lock<std::mutex> lock(watch_mu_);
  while (!stopping_) {
    watch_wake_.wait_for(lock, options_.settings_poll);
    if (stopping_) break;
    auto current = settings();
    auto fingerprint = apis::settings_fingerprint(options_.settings_path, current->secret_files);
    if (!fingerprint.ok()) continue;
    {
      std::lock_guard<std::mutex> guard(mu_);
      if (*fingerprint == fingerprint_) continue;
      fingerprint_ = *fingerprint;
    }
    // A broken edit keeps the last good settings: losing the RBAC policy or webhook secrets
    // because of a typo would be worse than a stale setting.
    auto loaded = apis::load_settings(options_.settings_path);
    Status applied = loaded.ok() ? apply_settings(std::move(*loaded)) : loaded.status();
    if (applied.ok()) {
      log::info("settings reloaded", {{"path", options_.settings_path}});
    } else {
      log::error("settings not reloaded; keeping the previous ones", {{"path", options_.settings_path},
                                                                     {"error", applied.message()}});
    }
  }
}

size_t Surfaces::max_body_bytes() const {
  auto current = settings();
  return std::max<size_t>(2u << 20, static_cast<size_t>(current->webhook_max_payload_bytes) + 1);
}

std::string Surfaces::metrics() const {
  std::ostringstream out;
  out << controller_.metrics_text();
  out << "# HELP ferry_webhook_requests_total Webhook deliveries by provider and HTTP code.\n"
         "# TYPE ferry_webhook_requests_total counter\n";
  for (const auto& row : webhook_->request_counts()) {
    out << "ferry_webhook_requests_total{provider=\"" << row.provider << "\",code=\"" << row.code << "\"} "
        << row.count << "\n";
  }
  auto counters = dispatcher_->counters();
  out << "# HELP ferry_webhook_events_total Push events queued by the webhook.\n"
         "# TYPE ferry_webhook_events_total counter\nferry_webhook_events_total "
      << counters.events_received << "\n# HELP ferry_webhook_bursts_total Coalesced pushes processed (one fetch each).\n"
      << "# TYPE ferry_webhook_bursts_total counter\nferry_webhook_bursts_total " << counters.bursts_processed
      << "\n# HELP ferry_api_streams Open server-sent event streams.\n# TYPE ferry_api_streams gauge\nferry_api_streams "
      << api_->open_streams() << "\n";
  return out.str();
}

http::Handler Surfaces::handler() {
  return [this](http::Request& request) -> http::Response {
    if (request.path == "/healthz") return plain(200, "ok\n");
    if (request.path == "/readyz") {
      bool ready = controller_.ready();
      return plain(ready ? 200 : 503, ready ? "ready\n" : "not ready: the Application watch has not synced\n");
    }
    if (request.path == "/metrics") {
      http::Response r = plain(200, metrics());
      r.content_type = "text/plain; version=0.0.4";
      return r;
    }
    if (request.path == webhook::kWebhookPath) return webhook_->handle(request);
    if (auto answer = api_->handle(request)) return std::move(*answer);
    if (auto page = apis::serve_ui(request, options_.ui_dir)) return std::move(*page);
    http::Response missing = plain(404, R"({"error":"NotFound","code":404,"message":"no such path"})");
    missing.content_type = "application/json";
    return missing;
  };
}

// ---- webhook::DispatchTarget ------------------------------------------------------------------

std::vector<webhook::AppSource> Surfaces::apps() {
  std::vector<webhook::AppSource> out;
  for (const auto& source : webhook_sources_.get()) out.push_back(*source);
  return out;
}

void Surfaces::repo_pushed(const std::string& repo_url, const std::string& ref, const std::string& after) {
  log::info("webhook push", {{"repo", reconciler::redact(repo_url, {})}, {"ref", ref}, {"revision", after}});
}

// The payload may name the repository by a URL the app does not use (its web page, say): mark
// the app's own repoURL as changed, so its next render asks git rather than the mirror.
void Surfaces::refresh_app(const std::string& app_name) {
  if (auto app = controller_.application(app_name)) {
    controller_.repo_pushed(app->value("/spec/source/repoURL"_json_pointer, std::string()));
  }
  (void)controller_.refresh(app_name, false);
}

}  // namespace ferry::cli
