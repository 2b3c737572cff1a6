#include "apis/server/api_server.h"

#include <algorithm>

#include "apis/server/responses.h"

namespace ferry::apis {
namespace {

constexpr const char* kServerVersion = "v0.1.0";
constexpr const char* kSessionCookie = "ferry_session";

std::string cookie_value(const http::Request& request, std::string_view name) {
  const std::string* header = request.header("cookie");
  if (!header) return "";
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return "";
}

std::string session_cookie(const std::string& token, bool tls, int64_t max_age_seconds) {
  std::string cookie = std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                       std::to_string(max_age_seconds);
  if (tls) cookie += "; Secure";
  return cookie;
}

bool changes_state(const std::string& method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

Json account_json(const store::Account& account, const std::vector<store::TokenRecord>& tokens) {
  Json out = {{"name", account.name}, {"enabled", account.enabled}, {"capabilities", account.capabilities}};
  Json list = Json::array();
  for (const auto& t : tokens) {
    list.push_back({{"id", t.id},
                    {"issuedAt", t.created_at / 1000},
                    {"expiresAt", t.expires_at / 1000},
                    {"description", t.description}});
  }
  out["tokens"] = list;
  return out;
}

}  // namespace

struct ApiServer::Stream {
  std::shared_ptr<http::ChunkWriter> writer;
  int subscription = 0;
};

ApiServer::ApiServer(controller::Controller& controller, store::Store& store, auth::Authenticator& authenticator,
                     PolicySource policy, ApiServerOptions options)
    : controller_(controller),
      store_(store),
      auth_(authenticator),
      policy_(std::move(policy)),
      options_(options),
      pool_(options.slow_threads, options.max_queued) {
  keepalive_ = std::thread([this] { keep_streams_alive(); });
}

ApiServer::~ApiServer() {
  {
    std::lock_guard<std::mutex> lock(keepalive_mu_);
    stopping_ = true;
  }
  keepalive_wake_.notify_all();
  keepalive_.join();
  pool_.stop();
  std::lock_guard<std::mutex> lock(streams_mu_);
  for (auto& s : streams_) {
    controller_.unsubscribe(s->subscription);
    s->writer->close();
  }
  streams_.clear();
}

size_t ApiServer::open_streams() const {
  std::lock_guard<std::mutex> lock(streams_mu_);
  return streams_.size();
}

std::optional<http::Response> ApiServer::handle(http::Request& request) {
  if (request.path != "/api/version" && request.path.rfind("/api/v1/", 0) != 0 && request.path != "/api/v1") {
    return std::nullopt;
  }
  if (request.body.size() > options_.max_body_bytes) {
    return error_response(413, "RequestEntityTooLarge",
                          "the request body is larger than " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  try {
    return route(request, http::split_path(request.path));
  } catch (const std::exception& e) {
    // A bug must cost one request, not the server; the message is ours, not user data.
    return error_response(500, "InternalError", std::string("internal error: ") + e.what());
  }
}

Result<ApiServer::Caller> ApiServer::authenticate(const http::Request& request) {
  Caller caller;
  if (const std::string* header = request.header("authorization")) {
    std::string_view value = *header;
    if (value.size() < 7 || (value.substr(0, 7) != "Bearer " && value.substr(0, 7) != "bearer ")) {
      return Status(Reason::kUnauthorized, "the Authorization header must be \"Bearer <token>\"");
    }
    caller.token = std::string(value.substr(7));
  } else {
    caller.token = cookie_value(request, kSessionCookie);
    caller.cookie = !caller.token.empty();
  }
  if (caller.token.empty()) {
    return Status(Reason::kUnauthorized, "no credentials: log in (POST /api/v1/session) or send a bearer token");
  }
  if (caller.cookie && changes_state(request.method)) {
    const std::string* marker = request.header("x-requested-with");
    if (!marker || *marker != "ferry") {
      return Status(Reason::kForbidden, "a cookie session must send X-Requested-With: ferry with changes (CSRF guard)");
    }
  }
  auto principal = auth_.authenticate(caller.token);
  if (!principal.ok()) return principal.status();
  caller.principal = std::move(*principal);
  return caller;
}

bool ApiServer::allowed(const Caller& caller, std::string_view resource, std::string_view action,
                        std::string_view object) const {
  auto policy = policy_();
  if (!policy) return false;
  return policy->allowed(auth::Subject{caller.principal.account, caller.principal.groups}, resource, action, object);
}

http::Response ApiServer::later(std::function<http::Response()> work) {
  http::Response deferred;
  auto job = std::make_shared<std::function<http::Response()>>(std::move(work));
  deferred.deferred = [this, job](std::function<void(http::Response)> reply) {
    bool queued = pool_.submit([job, reply]() {
      http::Response answer;
      try {
        answer = (*job)();
      } catch (const std::exception& e) {
        answer = error_response(500, "InternalError", std::string("internal error: ") + e.what());
      }
      reply(std::move(answer));
    });
    if (!queued) reply(error_response(503, "ServiceUnavailable", "the server is busy; try again shortly"));
  };
  return deferred;
}

http::Response ApiServer::route(http::Request& request, const std::vector<std::string>& parts) {
  if (request.path == "/api/version") {
    return json_response(200, {{"Version", kServerVersion}, {"Platform", "linux"}, {"BuildDate", __DATE__}});
  }
  // parts: api, v1, <collection>, ...
  if (parts.size() < 3) return error_response(404, "NotFound", "no such API path: " + request.path);
  for (const auto& p : parts) {
    if (p == ".." || p == ".") return error_response(400, "BadRequest", "path segments '.' and '..' are not allowed");
  }
  const std::string& collection = parts[2];
  if (collection == "session") return session(request, parts);

  auto caller = authenticate(request);
  if (!caller.ok()) return error_response(caller.status());
  if (collection == "applications") {
    return parts.size() == 3 ? applications(request, parts, *caller) : application(request, parts, *caller);
  }
  if (collection == "account") return accounts(request, parts, *caller);
  if (collection == "projects") return projects(request, parts, *caller);
  if (collection == "stream" && parts.size() == 4 && parts[3] == "applications") {
    if (request.method != "GET") return error_response(405, "MethodNotAllowed", "use GET");
    return stream_applications(*caller);
  }
  return error_response(404, "NotFound", "no such API path: " + request.path);
}

// ---- Sessions ---------------------------------------------------------------------------------

http::Response ApiServer::session(http::Request& request, const std::vector<std::string>& parts) {
  if (parts.size() == 4 && parts[3] == "userinfo") {
    auto caller = authenticate(request);
    if (!caller.ok()) return json_response(200, {{"loggedIn", false}});
    auto policy = policy_();
    Json roles = Json::array();
    if (policy) {
      for (const auto& role : policy->roles_of(auth::Subject{caller->principal.account, caller->principal.groups})) {
        roles.push_back(role);
      }
    }
    return json_response(200, {{"loggedIn", true},
                               {"username", caller->principal.account},
                               {"groups", caller->principal.groups},
                               {"roles", roles}});
  }
  if (parts.size() != 3) return error_response(404, "NotFound", "no such API path: " + request.path);
  if (request.method == "POST") {
    auto body = json_body(request);
    if (!body.ok()) return error_response(body.status());
    if (!(*body).value("username", Json()).is_string() || !(*body).value("password", Json()).is_string()) {
      return error_response(400, "BadRequest", "username and password are required strings");
    }
    std::string username = (*body)["username"];
    std::string password = (*body)["password"];
    std::string address = request.remote_address;
    bool tls = request.tls;
    return later([this, username, password, address, tls]() {
      auto token = auth_.login(username, password, address);
      if (!token.ok()) {
        http::Response refused = error_response(token.status());
        if (token.status().is(Reason::kTooManyRequests)) {
          refused.headers.push_back({"Retry-After", std::to_string(auth::retry_after_seconds(token.status()).value_or(60))});
        }
        return refused;
      }
      http::Response ok = json_response(200, {{"token", token->token}});
      int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      int64_t max_age = token->expires_at > now_ms ? (token->expires_at - now_ms) / 1000 : 0;
      ok.headers.push_back({"Set-Cookie", session_cookie(token->token, tls, max_age)});
      return ok;
    });
  }
  if (request.method == "DELETE") {
    auto caller = authenticate(request);
    http::Response out = json_response(200, Json::object());
    out.headers.push_back({"Set-Cookie", session_cookie("", request.tls, 0)});
    if (caller.ok() && caller->principal.session) (void)auth_.logout(caller->token);
    return out;
  }
  return error_response(405, "MethodNotAllowed", "use POST to log in or DELETE to log out");
}

// ---- Accounts and tokens ----------------------------------------------------------------------

http::Response ApiServer::accounts(http::Request& request, const std::vector<std::string>& parts, const Caller& caller) {
  const std::string& self = caller.principal.account;
  // /api/v1/account/can-i/{resource}/{action}/{object...}
  if (parts.size() >= 6 && parts[3] == "can-i") {
    std::string object;
    for (size_t i = 6; i < parts.size(); ++i) object += (object.empty() ? "" : "/") + parts[i];
    return json_response(200, {{"value", allowed(caller, parts[4], parts[5], object) ? "yes" : "no"}});
  }
  if (parts.size() == 3) {
    if (request.method != "GET") return error_response(405, "MethodNotAllowed", "use GET");
    auto all = store_.list_accounts();
    if (!all.ok()) return error_response(all.status());
    Json items = Json::array();
    for (const auto& account : *all) {
      if (account.name != self && !allowed(caller, "accounts", "get", account.name)) continue;
      auto tokens = auth_.list_tokens(account.name);
      items.push_back(account_json(account, tokens.ok() ? *tokens : std::vector<store::TokenRecord>{}));
    }
    return json_response(200, {{"items", items}});
  }
  if (parts.size() == 4 && parts[3] == "password") return update_password(request, caller);
  const std::string& name = parts[3];
  if (!valid_object_name(name)) return error_response(400, "BadRequest", "invalid account name");
  bool own = name == self;
  if (parts.size() == 4) {
    if (request.method != "GET") return error_response(405, "MethodNotAllowed", "use GET");
    if (!own && !allowed(caller, "accounts", "get", name)) {
      return error_response(403, "Forbidden", "permission denied: accounts, get, " + name);
    }
    auto account = store_.get_account(name);
    if (!account.ok()) return error_response(account.status());
    auto tokens = auth_.list_tokens(name);
    return json_response(200, account_json(*account, tokens.ok() ? *tokens : std::vector<store::TokenRecord>{}));
  }
  if (parts[4] != "token") return error_response(404, "NotFound", "no such API path: " + request.path);
  if (!own && !allowed(caller, "accounts", "update", name)) {
    return error_response(403, "Forbidden", "permission denied: accounts, update, " + name);
  }
  if (parts.size() == 5 && request.method == "POST") {
    auto body = json_body(request);
    if (!body.ok()) return error_response(body.status());
    int64_t expires_in = 0;
    const Json& e = body->value("expiresIn", Json(0));
    if (e.is_number_integer() && e.get<int64_t>() >= 0) {
      expires_in = e.get<int64_t>();
    } else if (e.is_string()) {
      try {
        expires_in = std::stoll(e.get<std::string>());
      } catch (...) {
        return error_response(400, "BadRequest", "expiresIn must be a number of seconds");
      }
    } else {
      return error_response(400, "BadRequest", "expiresIn must be a non-negative number of seconds");
    }
    std::string id = body->value("id", Json("")).is_string() ? body->value("id", "") : "";
    std::string description = body->value("description", Json("")).is_string() ? body->value("description", "") : "";
    auto token = auth_.generate_token(name, expires_in, id, description, self);
    if (!token.ok()) return error_response(token.status());
    return json_response(200, {{"token", token->token}, {"id", token->record.id}});
  }
  if (parts.size() == 6 && request.method == "DELETE") {
    Status revoked = auth_.revoke_token(name, parts[5], self);
    if (!revoked.ok()) return error_response(revoked);
    return json_response(200, Json::object());
  }
  return error_response(405, "MethodNotAllowed", "POST …/token to create, DELETE …/token/{id} to revoke");
}

// PUT /api/v1/account/password {"name", "currentPassword", "newPassword"}: as Argo CD, the current
// password is the caller's own, whichever account is changed.
http::Response ApiServer::update_password(http::Request& request, const Caller& caller) {
  if (request.method != "PUT") return error_response(405, "MethodNotAllowed", "use PUT");
  auto body = json_body(request);
  if (!body.ok()) return error_response(body.status());
  std::string self = caller.principal.account;
  std::string name = body->value("name", Json("")).is_string() ? body->value("name", "") : "";
  if (name.empty()) name = self;
  if (!body->value("currentPassword", Json()).is_string() || !body->value("newPassword", Json()).is_string()) {
    return error_response(400, "BadRequest", "currentPassword and newPassword are required strings");
  }
  if (name != self && !allowed(caller, "accounts", "update", name)) {
    return error_response(403, "Forbidden", "permission denied: accounts, update, " + name);
  }
  std::string current = (*body)["currentPassword"];
  std::string fresh = (*body)["newPassword"];
  std::string address = request.remote_address;
  return later([this, self, name, current, fresh, address]() {
    auto checked = auth_.login(self, current, address);  // proves the caller knows their password
    if (!checked.ok()) return error_response(checked.status());
    (void)auth_.logout(checked->token);
    Status changed = auth_.set_password(name, fresh, self);
    if (!changed.ok()) return error_response(changed);
    return json_response(200, Json::object());
  });
}

// ---- Projects -----------------------------------------------------------------------------------

http::Response ApiServer::projects(http::Request& request, const std::vector<std::string>& parts, const Caller& caller) {
  if (request.method != "GET") return error_response(405, "MethodNotAllowed", "use GET");
  auto all = controller_.projects();
  if (!all.ok()) return error_response(all.status());
  Json items = Json::array();
  for (const auto& project : *all) {
    std::string name = project["metadata"].value("name", "");
    if (parts.size() == 4 && name != parts[3]) continue;
    if (!allowed(caller, "projects", "get", name)) continue;
    if (parts.size() == 4) return json_response(200, without_url_credentials(project));
    items.push_back(without_url_credentials(project));
  }
  if (parts.size() == 4) return error_response(404, "NotFound", "project \"" + parts[3] + "\" not found");
  return json_response(200, {{"items", items}});
}

// ---- Server-sent events -------------------------------------------------------------------------

http::Response ApiServer::stream_applications(const Caller& caller) {
  http::Response r;
  r.content_type = "text/event-stream";
  r.headers.push_back({"Cache-Control", "no-store"});
  r.headers.push_back({"X-Accel-Buffering", "no"});
  r.start_stream = [this, caller](std::shared_ptr<http::ChunkWriter> writer) {
    auto stream = std::make_shared<Stream>();
    stream->writer = writer;
    auto visible = [this, caller](const Json& app) {
      return allowed(caller, "applications", "get", project_of(app) + "/" + app["metadata"].value("name", ""));
    };
    auto send = [writer](const char* type, const Json& app) {
      Json event = {{"type", type}, {"application", listed_application(app)}};
      writer->write("data: " + event.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n");
    };
    std::weak_ptr<Stream> weak = stream;
    stream->subscription = controller_.subscribe([visible, send](const kube::Change& change) {
      if (!change.object.is_object() || !visible(change.object)) return;
      const char* type = change.type == kube::ChangeType::kAdded     ? "ADDED"
                         : change.type == kube::ChangeType::kDeleted ? "DELETED"
                                                                     : "MODIFIED";
      send(type, change.object);
    });
    for (const auto& app : app_list_.get()) {
      if (allowed(caller, "applications", "get", app->project + "/" + app->name)) {
        writer->write("data: {\"type\":\"ADDED\",\"application\":" + app->text + "}\n\n");
      }
    }
    std::lock_guard<std::mutex> lock(streams_mu_);
    streams_.push_back(stream);
  };
  return r;
}

void ApiServer::keep_streams_alive() {
  std::unique_lock<std::mutex> lock(keepalive_mu_);
  while (!stopping_) {
    keepalive_wake_.wait_for(lock, options_.stream_keepalive);
    if (stopping_) break;
    std::lock_guard<std::mutex> guard(streams_mu_);
    for (auto it = streams_.begin(); it != streams_.end();) {
      auto& s = *it;
      // A comment line keeps proxies from closing an idle stream and tells us the client left.
      if (s->writer->closed() || !s->writer->write(":\n\n")) {
        controller_.unsubscribe(s->subscription);
        it = streams_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace ferry::apis
