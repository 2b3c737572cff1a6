// WebhookHandler: the HTTP face of Ferry's webhook (DESIGN.md §9, mounted at kWebhookPath).
// It checks the method, size and sender of a delivery, parses pushes and hands them to a
// Dispatcher, answering before any git work starts:
//   202 {"status":"accepted","events":N}   push queued (N refs)
//   200 {"status":"pong"|"ignored",...}     ping, or an event that is not a push
//   400 / 401 / 405 / 413 / 503             {"error":"Unauthorized","code":401,"message":"..."}
// Messages say what was wrong, never echoing a secret or a signature.
//
// Ownership and threads: the Dispatcher is borrowed and must outlive the handler. handle() and
// request_counts() may be called from any number of threads at once; the secrets function is
// called once per request (so reloaded settings apply to the next delivery) and must itself be
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apis/http/server.h"
#include "webhook/dispatcher.h"
#include "webhook/signature.h"

namespace ferry::webhook {

inline constexpr std::string_view kWebhookPath = "/api/webhook";

class WebhookHandler {
 public:
  // One row of ferry_webhook_requests_total{provider,code}. provider is provider_name() or
  // "unknown" when no Git host header was recognised.
  struct RequestCount {
    std::string provider;
    int code = 0;
    uint64_t count = 0;
  };

  WebhookHandler(std::function<WebhookSecrets()> secrets, Dispatcher& dispatcher);
  WebhookHandler(const WebhookHandler&) = delete;
  WebhookHandler& operator=(const WebhookHandler&) = delete;

  http::Response handle(const http::Request& request);

  // A snapshot, ordered by provider then code.
  std::vector<RequestCount> request_counts() const;

 private:
  http::Response count(const std::string& provider, http::Response response);

  std::function<WebhookSecrets()> secrets_;
  Dispatcher& dispatcher_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> counts_;  // guarded by mu_
};

}  // namespace ferry::webhook
