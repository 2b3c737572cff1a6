// Surfaces: everything `ferry controller` (and `ferry demo`) serves on its one port besides the
// controller itself — settings (reloaded when the file changes), the admin account and local
// accounts, RBAC, the REST API, the webhook and its dispatcher, the UI, /healthz, /readyz and
// /metrics — wired together. DESIGN.md §9, §11.
//
// Ownership: borrows the controller and shares the store; both must outlive it. Create it after
// the controller started; stop the HTTP server before destroying it. handler() may be called
// from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "apis/auth/auth.h"
#include "apis/auth/rbac.h"
#include "apis/http/server.h"
#include "apis/server/api_server.h"
#include "apis/types/settings.h"
#include "controller/app_views.h"
#include "controller/controller.h"
#include "webhook/dispatcher.h"
#include "webhook/handler.h"

namespace ferry::cli {

struct SurfaceOptions {
  std::string data_dir;
  std::string settings_path;        // "" = defaults (admin only, read-only default policy)
  std::string admin_password_file;  // "" = generated into <data_dir>/admin.password
  std::string ui_dir;               // "" = the UI embedded in the binary
  std::chrono::milliseconds settings_poll{2000};
};

class Surfaces : private webhook::DispatchTarget {
 public:
  static Result<std::unique_ptr<Surfaces>> create(controller::Controller& controller,
                                                  std::shared_ptr<store::Store> store, SurfaceOptions options);
  ~Surfaces() override;
  Surfaces(const Surfaces&) = delete;
  Surfaces& operator=(const Surfaces&) = delete;

  http::Handler handler();
  // The HTTP server's body cap: the webhook's (the API checks its own smaller one).
  size_t max_body_bytes() const;
  // Where the generated admin password is, "" when it came from --admin-password-file.
  const std::string& admin_password_path() const { return admin_password_path_; }

 private:
  Surfaces(controller::Controller& controller, std::shared_ptr<store::Store> store, SurfaceOptions options);
  Status apply_settings(apis::Settings settings);
  void watch_settings();
  std::string metrics() const;
  std::shared_ptr<const apis::Settings> settings() const;

  // webhook::DispatchTarget
  std::vector<webhook::AppSource> apps() override;
  void repo_pushed(const std::string& repo_url, const std::string& ref, const std::string& after) override;
  void refresh_app(const std::string& app_name) override;

  controller::Controller& controller_;
  controller::AppViews<webhook::AppSource> webhook_sources_;  // what apps() answers, per app
  std::shared_ptr<store::Store> store_;
  SurfaceOptions options_;
  std::string admin_password_path_;

  mutable std::mutex mu_;
  std::shared_ptr<const apis::Settings> settings_;  // guarded by mu_
  std::shared_ptr<const auth::Policy> policy_;       // guarded by mu_
  std::string fingerprint_;                          // guarded by mu_

  std::unique_ptr<auth::Authenticator> auth_;
  std::unique_ptr<webhook::Dispatcher> dispatcher_;
  std::unique_ptr<webhook::WebhookHandler> webhook_;
  std::unique_ptr<apis::ApiServer> api_;

  std::mutex watch_mu_;
  std::condition_variable watch_wake_;
  bool stopping_ = false;  // guarded by watch_mu_
  std::thread watcher_;
};

}  // namespace ferry::cli
