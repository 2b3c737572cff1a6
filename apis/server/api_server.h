// ApiServer: Ferry's REST API (docs/api.md) — applications, sync, diff, plan, history, rollback,
// the resource tree, events, sessions, accounts and tokens, server-sent events — with bearer or
// cookie authentication, a CSRF guard for cookie sessions and Argo CD's RBAC on every route.
//
// It borrows the controller, the store and the authenticator (they must outlive it) and asks
// `policy()` for the current RBAC policy on every request, so a settings reload applies at once.
// handle() runs on the HTTP server's I/O threads; anything slow (rendering, password hashing,
// waiting for an operation) moves to its own TaskPool and answers through a deferred Response.
// Thread-safe. Destroy it only after the HTTP server using it has stopped.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "apis/auth/auth.h"
#include "apis/auth/rbac.h"
#include "apis/http/server.h"
#include "apis/server/app_list.h"
#include "apis/server/task_pool.h"
#include "controller/app_views.h"
#include "controller/controller.h"
#include "store/store.h"

namespace ferry::apis {

struct ApiServerOptions {
  size_t max_body_bytes = 1 << 20;  // API request bodies; larger → 413
  int slow_threads = 8;             // for diff, plan, login, waits
  size_t max_queued = 256;          // slow requests waiting beyond this → 503
  std::chrono::seconds stream_keepalive{15};
  std::chrono::seconds max_wait{600};  // longest ?wait=true&timeout=
};

class ApiServer {
 public:
  using PolicySource = std::function<std::shared_ptr<const auth::Policy>()>;

  ApiServer(controller::Controller& controller, store::Store& store, auth::Authenticator& authenticator,
            PolicySource policy, ApiServerOptions options = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // The answer for /api/version and /api/v1/...; nullopt for any other path.
  std::optional<http::Response> handle(http::Request& request);

  // Open server-sent event streams (for /metrics and tests).
  size_t open_streams() const;

 private:
  struct Caller {
    auth::Principal principal;
    std::string token;  // as presented (for logout)
    bool cookie = false;
  };
  struct Stream;

  http::Response route(http::Request& request, const std::vector<std::string>& parts);
  http::Response applications(http::Request& request, const std::vector<std::string>& parts, const Caller& caller);
  http::Response application(http::Request& request, const std::vector<std::string>& parts, const Caller& caller);
  http::Response accounts(http::Request& request, const std::vector<std::string>& parts, const Caller& caller);
  http::Response session(http::Request& request, const std::vector<std::string>& parts);
  http::Response update_password(http::Request& request, const Caller& caller);
  http::Response projects(http::Request& request, const std::vector<std::string>& parts, const Caller& caller);
  http::Response stream_applications(const Caller& caller);

  http::Response sync(http::Request& request, const std::string& name, const Caller& caller);
  http::Response rollback(http::Request& request, const std::string& name, const Caller& caller);
  http::Response list(http::Request& request, const Caller& caller);

  Result<Caller> authenticate(const http::Request& request);
  bool allowed(const Caller& caller, std::string_view resource, std::string_view action, std::string_view object) const;
  // Runs `work` on the pool and answers with its result; 503 when the pool is full.
  http::Response later(std::function<http::Response()> work);
  void keep_streams_alive();

  controller::Controller& controller_;
  store::Store& store_;
  auth::Authenticator& auth_;
  PolicySource policy_;
  ApiServerOptions options_;
  TaskPool pool_;
  controller::AppViews<ListedApp> app_list_{controller_, ListedApp::of};

  mutable std::mutex streams_mu_;
  std::vector<std::shared_ptr<Stream>> streams_;  // guarded by streams_mu_
  std::mutex keepalive_mu_;
  std::condition_variable keepalive_wake_;
  bool stopping_ = false;  // guarded by keepalive_mu_
  std::thread keepalive_;
};

}  // namespace ferry::apis
