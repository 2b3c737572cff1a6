#include "webhook/handler.h"

#include <nlohmann/json.hpp>

#include "webhook/payload.h"

namespace ferry::webhook {
namespace {

using Json = nlohmann::json;

http::Response json_response(int status, const Json& body) {
  http::Response response;
  response.status = status;
  // Strings from the request (event names, parser messages) may hold invalid UTF-8: replace it
  // rather than let dump() throw.
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

http::Response error_response(const Status& status) {
  int code = reason_http_code(status.reason());
  return json_response(code, Json{{"error", reason_name(status.reason())}, {"code", code}, {"message", status.message()}});
}

std::string clip(std::string_view text, size_t max) { return std::string(text.substr(0, max)); }

}  // namespace

WebhookHandler::WebhookHandler(std::function<WebhookSecrets()> secrets, Dispatcher& dispatcher)
    : secrets_(std::move(secrets)), dispatcher_(dispatcher) {}

http::Response WebhookHandler::handle(const http::Request& request) {
  Result<Delivery> delivery = detect_delivery(request);
  std::string provider = delivery.ok() ? provider_name(delivery->provider) : "unknown";

  if (request.method != "POST") {
    http::Response response = error_response(Status(
        Reason::kMethodNotAllowed, "webhook deliveries are POSTed; got " + clip(request.method, 16)));
    response.headers.emplace_back("Allow", "POST");
    return count(provider, std::move(response));
  }
  WebhookSecrets secrets = secrets_ ? secrets_() : WebhookSecrets{};
  if (request.body.size() > secrets.max_payload_bytes) {
    return count(provider, error_response(Status(Reason::kRequestEntityTooLarge,
                                                 "payload of " + std::to_string(request.body.size()) +
                                                     " bytes exceeds the limit of " +
                                                     std::to_string(secrets.max_payload_bytes))));
  }
  if (!delivery.ok()) return count(provider, error_response(delivery.status()));

  EventKind kind = event_kind(*delivery);
  // Bitbucket Server's "Test connection" ping carries nothing and starts no work, so it is
  // answered without a signature check and works before the secret is set up on both sides.
  bool unsigned_ping = delivery->provider == Provider::kBitbucketServer && kind == EventKind::kPing;
  if (!unsigned_ping) {
    Status auth = verify_delivery(delivery->provider, request, secrets);
    if (!auth.ok()) return count(provider, error_response(auth));
  }
  if (kind == EventKind::kPing) return count(provider, json_response(200, Json{{"status", "pong"}}));
  if (kind == EventKind::kOther) {
    return count(provider, json_response(200, Json{{"status", "ignored"}, {"event", clip(delivery->event, 64)}}));
  }

  auto events = parse_push(delivery->provider, json_text(request));
  if (!events.ok()) return count(provider, error_response(events.status()));
  if (events->empty()) {
    return count(provider, json_response(200, Json{{"status", "ignored"}, {"message", "push names no branch or tag"}}));
  }
  size_t total = events->size();
  size_t accepted = 0;
  for (PushEvent& event : *events) accepted += dispatcher_.submit(std::move(event)) ? 1 : 0;
  if (accepted < total) {
    // Tell the host, which shows failed deliveries and can redeliver, instead of losing a push.
    return count(provider, error_response(Status::Unavailable(
                               "too many pushes waiting; " + std::to_string(total - accepted) + " of " +
                               std::to_string(total) + " refs were not queued")));
  }
  return count(provider, json_response(202, Json{{"status", "accepted"}, {"events", accepted}}));
}

std::vector<WebhookHandler::RequestCount> WebhookHandler::request_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RequestCount> out;
  out.reserve(counts_.size());
  for (const auto& [key, n] : counts_) out.push_back(RequestCount{key.first, key.second, n});
  return out;
}

http::Response WebhookHandler::count(const std::string& provider, http::Response response) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[{provider, response.status}];
  return response;
}

}  // namespace ferry::webhook
