#include "kube/sim/api_server.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdio>
#include <ctime>

#include "apis/types/base64.h"
#include "apis/types/yaml_codec.h"
#include "kube/sim/sim_internal.h"

namespace ferry::kube::sim {
namespace {


std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  std::string out;
  char buf[3];
  for (unsigned char c : raw) {
    snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The verb of a resource request, as Kubernetes audit logs name them.
std::string verb_of(const http::Request& r, const ResourcePath& p) {
  bool watch = p.legacy_watch || r.query_param("watch") == "true" || r.query_param("watch") == "1";
  if (r.method == "GET" || r.method == "HEAD") return watch ? "watch" : (p.name.empty() ? "list" : "get");
  if (r.method == "POST") return "create";
  if (r.method == "PUT") return "update";
  if (r.method == "PATCH") return "patch";
  if (r.method == "DELETE") return p.name.empty() ? "deletecollection" : "delete";
  return "";
}

}  // namespace

Json status_json(const Status& status, const std::string& name, const std::string& group, const std::string& kind) {
  Json details = Json::object();
  if (!name.empty()) details["name"] = name;
  if (!group.empty()) details["group"] = group;
  if (!kind.empty()) details["kind"] = kind;
  if (!status.causes().empty()) {
    Json causes = Json::array();
    for (const auto& c : status.causes()) {
      Json cause = {{"reason", c.reason}, {"message", c.message}};
      if (!c.field.empty()) cause["field"] = c.field;
      causes.push_back(cause);
    }
    details["causes"] = causes;
  }
  if (status.is(Reason::kTooManyRequests)) details["retryAfterSeconds"] = 1;
  Json out = {{"kind", "Status"}, {"apiVersion", "v1"},        {"metadata", Json::object()},
              {"status", "Failure"}, {"message", status.message()}, {"reason", reason_name(status.reason())},
              {"code", reason_http_code(status.reason())}};
  if (!details.empty()) out["details"] = details;
  return out;
}

http::Response json_response(int code, const Json& body) {
  http::Response r;
  r.status = code;
  r.body = body.dump();
  return r;
}

http::Response error_response(const Status& status, const std::string& name, const std::string& group,
                              const std::string& kind) {
  return json_response(reason_http_code(status.reason()), status_json(status, name, group, kind));
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_uid() {
  std::string h = random_hex(16);
  h[12] = '4';
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// --- ApiServer -------------------------------------------------------------------------------

ApiServer::ApiServer(SimOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->token = impl_->options.token.empty() ? random_hex(24) : impl_->options.token;
}

ApiServer::~ApiServer() { stop(); }

std::string ApiServer::start() {
  http::ServerOptions o;
  o.host = impl_->options.host;
  o.port = impl_->options.port;
  o.threads = impl_->options.threads;
  o.max_body_bytes = impl_->options.max_body_bytes;
  if (impl_->options.tls) {
    impl_->tls = generate_tls_material();
    o.tls_cert_pem = impl_->tls.server_cert_pem;
    o.tls_key_pem = impl_->tls.server_key_pem;
    o.client_ca_pem = impl_->tls.ca_cert_pem;
  }
  o.error_response = [](int code, const std::string& reason) {
    Reason r = code == 413 ? Reason::kRequestEntityTooLarge : Reason::kBadRequest;
    return error_response(Status(r, reason));
  };
  impl_->bootstrap_namespaces();
  impl_->server = std::make_unique<http::Server>(o, [this](http::Request& r) { return impl_->handle(r); });
  std::string error = impl_->server->start();
  if (!error.empty()) return error;
  impl_->start_controllers();
  return "";
}

void ApiServer::stop() {
  if (!impl_) return;
  impl_->stop_controllers();
  // Watches hold writers into the server's connections: end them while those still exist.
  impl_->store.drop_watches();
  if (impl_->server) impl_->server->stop();
  impl_->store.drop_watches();  // any that started during the stop
}

int ApiServer::port() const { return impl_->server ? impl_->server->port() : 0; }

std::string ApiServer::server_url() const {
  return std::string(impl_->options.tls ? "https://" : "http://") + impl_->options.host + ":" + std::to_string(port());
}

const std::string& ApiServer::token() const { return impl_->token; }
std::string ApiServer::ca_cert_pem() const { return impl_->tls.ca_cert_pem; }

std::string ApiServer::kubeconfig() const {
  Json cluster = {{"server", server_url()}};
  if (impl_->options.tls) cluster["certificate-authority-data"] = base64_encode(impl_->tls.ca_cert_pem);
  Json config = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", {{{"name", "ferry-sim"}, {"cluster", cluster}}}},
      {"users", {{{"name", "ferry-sim"}, {"user", {{"token", impl_->token}}}}}},
      {"contexts", {{{"name", "ferry-sim"}, {"context", {{"cluster", "ferry-sim"}, {"user", "ferry-sim"}}}}}},
      {"current-context", "ferry-sim"},
      {"preferences", Json::object()}};
  return yaml::to_yaml(config);
}

std::string ApiServer::client_cert_kubeconfig() const {
  Json cluster = {{"server", server_url()}, {"certificate-authority-data", base64_encode(impl_->tls.ca_cert_pem)}};
  Json user = {{"client-certificate-data", base64_encode(impl_->tls.client_cert_pem)},
               {"client-key-data", base64_encode(impl_->tls.client_key_pem)}};
  Json config = {{"apiVersion", "v1"},
                 {"kind", "Config"},
                 {"clusters", {{{"name", "ferry-sim"}, {"cluster", cluster}}}},
                 {"users", {{{"name", "ferry-sim-cert"}, {"user", user}}}},
                 {"contexts", {{{"name", "ferry-sim"}, {"context", {{"cluster", "ferry-sim"}, {"user", "ferry-sim-cert"}}}}}},
                 {"current-context", "ferry-sim"}};
  return yaml::to_yaml(config);
}

// --- request handling ------------------------------------------------------------------------

void ApiServer::Impl::count(const std::string& verb, const std::string& resource) {
  requests_total++;
  std::lock_guard lock(stats_mutex);
  requests[verb][resource]++;
}

std::optional<http::Response> ApiServer::Impl::inject_fault(const std::string& verb) {
  std::lock_guard lock(faults_mutex);
  const FaultConfig& f = faults;
  if (!f.verbs.empty() && !f.verbs.count(verb)) return std::nullopt;
  std::uniform_real_distribution<double> dice(0.0, 1.0);
  if (f.throttle_rate > 0 && dice(fault_random) < f.throttle_rate) {
    auto r = error_response(Status(Reason::kTooManyRequests, "injected fault: too many requests, please try again later"));
    r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_seconds));
    return r;
  }
  if (f.error_rate > 0 && dice(fault_random) < f.error_rate) {
    Reason reason = f.error_status == 503 ? Reason::kUnavailable
                    : f.error_status == 504 ? Reason::kTimeout
                                            : Reason::kInternal;
    auto r = error_response(Status(reason, "injected fault"));
    r.status = f.error_status;
    return r;
  }
  return std::nullopt;
}

http::Response ApiServer::Impl::handle(http::Request& request) {
  bytes_in += request.body.size();
  const std::string& path = request.path;
  auto finish = [this](http::Response r) {
    bytes_out += r.body.size();
    return r;
  };
  if (path == "/healthz" || path == "/readyz" || path == "/livez") {
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok";
    return r;
  }
  // Authentication: the bearer token, or a client certificate signed by the simulator's CA.
  bool authenticated = !request.client_cert_common_name.empty();
  if (const auto* auth = request.header("authorization"); auth && auth->starts_with("Bearer ")) {
    authenticated = constant_time_equal(auth->substr(7), token);
  }
  if (!authenticated) {
    count("unauthorized", "");
    return finish(error_response(Status(Reason::kUnauthorized, "Unauthorized")));
  }
  if (path.starts_with("/sim/")) return finish(handle_sim(request));
  if (path == "/version") {
    count("get", "version");
    return finish(json_response(200, {{"major", "1"}, {"minor", "33"}, {"gitVersion", "v1.33.0-ferry-sim"},
                                      {"gitCommit", "ferry"}, {"gitTreeState", "clean"},
                                      {"buildDate", "2026-01-01T00:00:00Z"}, {"goVersion", "go1.24"},
                                      {"compiler", "gc"}, {"platform", "linux/amd64"}}));
  }

  auto parts = http::split_path(path);
  auto not_found = [&] {
    return finish(error_response(Status::NotFound("the server could not find the requested resource")));
  };
  if (parts.empty()) {
    return finish(json_response(200, {{"paths", {"/api", "/api/v1", "/apis", "/healthz", "/version"}}}));
  }
  // Discovery.
  if (request.method == "GET") {
    if (parts.size() == 1 && parts[0] == "api") {
      count("get", "discovery");
      return finish(json_response(200, registry.api_versions(options.host + ":" + std::to_string(server->port()))));
    }
    if (parts.size() == 1 && parts[0] == "apis") {
      count("get", "discovery");
      return finish(json_response(200, registry.api_group_list()));
    }
    if (parts.size() == 2 && parts[0] == "api") {
      count("get", "discovery");
      auto list = registry.resource_list("", parts[1]);
      return list ? finish(json_response(200, *list)) : not_found();
    }
    if (parts.size() == 2 && parts[0] == "apis") {
      count("get", "discovery");
      auto group = registry.api_group(parts[1]);
      return group ? finish(json_response(200, *group)) : not_found();
    }
    if (parts.size() >= 2 && parts[0] == "openapi" && parts[1] == "v3") {
      count("get", "openapi");
      if (parts.size() == 2) return finish(json_response(200, registry.openapi_v3_index()));
      auto doc = registry.openapi_v3_document(path.substr(std::string("/openapi/v3/").size()));
      return doc ? finish(json_response(200, *doc)) : not_found();
    }
    if (parts.size() == 3 && parts[0] == "apis") {
      count("get", "discovery");
      auto list = registry.resource_list(parts[1], parts[2]);
      return list ? finish(json_response(200, *list)) : not_found();
    }
  }
  // Resources: /api/v1/..., /apis/G/V/...
  RequestContext ctx;
  ctx.http = &request;
  size_t i;
  if (parts[0] == "api" && parts.size() >= 3) {
    ctx.path.version = parts[1];
    i = 2;
  } else if (parts[0] == "apis" && parts.size() >= 4) {
    ctx.path.group = parts[1];
    ctx.path.version = parts[2];
    i = 3;
  } else {
    return not_found();
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (!rest.empty() && rest[0] == "watch") {
    ctx.path.legacy_watch = true;
    rest.erase(rest.begin());
  }
  bool namespace_subresource = rest.size() == 3 && rest[0] == "namespaces" && (rest[2] == "status" || rest[2] == "finalize");
  if (rest.size() >= 3 && rest[0] == "namespaces" && !namespace_subresource) {
    ctx.path.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return not_found();
  ctx.path.plural = rest[0];
  if (rest.size() > 1) ctx.path.name = rest[1];
  if (rest.size() > 2) ctx.path.subresource = rest[2] == "finalize" ? "status" : rest[2];

  ctx.type = registry.by_resource(ctx.path.group, ctx.path.version, ctx.path.plural);
  if (!ctx.type) return not_found();
  if (!ctx.type->namespaced && !ctx.path.ns.empty()) return not_found();
  if (!ctx.path.subresource.empty() && ctx.path.subresource != "status" && ctx.path.subresource != "scale") {
    return not_found();
  }
  if ((ctx.path.subresource == "status" && !ctx.type->status_subresource) ||
      (ctx.path.subresource == "scale" && !ctx.type->scale_subresource)) {
    return not_found();
  }
  ctx.verb = verb_of(request, ctx.path);
  if (ctx.verb.empty()) {
    return finish(error_response(Status(Reason::kMethodNotAllowed, "the server does not allow this method on the requested resource")));
  }
  count(ctx.verb, ctx.type->plural + (ctx.path.subresource.empty() ? "" : "/" + ctx.path.subresource));
  if (auto fault = inject_fault(ctx.verb)) return finish(*fault);
  ctx.dry_run = request.query_param("dryRun") == "All";
  if (const auto* accept = request.header("accept")) ctx.wants_table = accept->find("as=Table") != std::string::npos;
  ctx.field_manager = request.query_param("fieldManager");
  if (ctx.field_manager.empty()) {
    // Kubernetes derives the manager of non-apply writes from the User-Agent's program name.
    const auto* agent = request.header("user-agent");
    std::string a = agent ? *agent : "unknown";
    ctx.field_manager = a.substr(0, a.find('/'));
  }
  http::Response response;
  try {
    response = dispatch(ctx);
  } catch (const nlohmann::json::exception& e) {
    // A body of the right syntax but wrong shape ("metadata": 5): the client's mistake.
    response = error_response(Status::BadRequest(std::string("the request body has a field of the wrong type: ") + e.what()));
  }
  std::lock_guard lock(faults_mutex);
  if (faults.latency_ms > 0) response.delay = std::chrono::milliseconds(faults.latency_ms);
  return finish(std::move(response));
}

http::Response ApiServer::Impl::handle_sim(http::Request& request) {
  if (request.path == "/sim/faults" && request.method == "POST") {
    Json body = Json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return error_response(Status::BadRequest("/sim/faults wants a JSON object"));
    }
    FaultConfig f;
    f.error_rate = body.value("errorRate", 0.0);
    f.error_status = body.value("errorStatus", 500);
    f.throttle_rate = body.value("throttleRate", 0.0);
    f.retry_after_seconds = body.value("retryAfterSeconds", 1);
    f.latency_ms = body.value("latencyMs", 0);
    for (const auto& v : body.value("verbs", Json::array())) f.verbs.insert(v.get<std::string>());
    if (f.error_rate < 0 || f.error_rate > 1 || f.throttle_rate < 0 || f.throttle_rate > 1 || f.error_status < 400 ||
        f.error_status > 599) {
      return error_response(Status::BadRequest("rates must be within [0,1] and errorStatus a 4xx/5xx code"));
    }
    size_t dropped = 0;
    if (body.value("dropWatches", false)) dropped = store.drop_watches();
    if (body.value("expireWatchHistory", false)) store.expire_history();
    {
      std::lock_guard lock(faults_mutex);
      faults = f;
      if (body.contains("seed")) fault_random.seed(body["seed"].get<uint64_t>());
    }
    return json_response(200, {{"errorRate", f.error_rate}, {"errorStatus", f.error_status},
                               {"throttleRate", f.throttle_rate}, {"latencyMs", f.latency_ms},
                               {"droppedWatches", dropped}});
  }
  if (request.path == "/sim/stats" && request.method == "GET") {
    Json by_verb = Json::object();
    {
      std::lock_guard lock(stats_mutex);
      for (const auto& [verb, resources] : requests) {
        for (const auto& [resource, n] : resources) by_verb[verb][resource] = n;
      }
    }
    Json objects = Json::object();
    size_t total = 0;
    for (const auto& [storage, n] : store.counts()) {
      objects[storage] = n;
      total += n;
    }
    return json_response(200, {{"requests", by_verb}, {"requestsTotal", requests_total.load()},
                               {"objects", total}, {"objectsByResource", objects},
                               {"watches", store.watch_count()}, {"bytesIn", bytes_in.load()},
                               {"bytesOut", bytes_out.load()}, {"resourceVersion", store.current_version()}});
  }
  if (request.path == "/sim/stats/reset" && request.method == "POST") {
    std::lock_guard lock(stats_mutex);
    requests.clear();
    requests_total = 0;
    bytes_in = 0;
    bytes_out = 0;
    return json_response(200, Json::object());
  }
  return error_response(Status::NotFound("unknown simulator endpoint " + request.path));
}

}  // namespace ferry::kube::sim
