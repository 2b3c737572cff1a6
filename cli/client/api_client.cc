#include "cli/client/api_client.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include <cpprest/http_client.h>

namespace ferry::cli {
namespace {

namespace http = web::http;
using utility::conversions::to_string_t;

// Why a request never got an answer; decides the message and whether HTTP may be tried.
enum class Failure { kNone, kRefused, kTimeout, kResolve, kCertificate, kTls, kOther };

struct Attempt {
  Failure failure = Failure::kNone;
  std::string detail;  // what went wrong, for the message
  ApiReply reply;
};

// Remembers why OpenSSL rejected the server's certificate chain, so a failed handshake can say
// "self-signed certificate" instead of cpprestsdk's bare "handshake" error.
int record_verify_error(X509_STORE_CTX* store, void* arg) {
  int ok = X509_verify_cert(store);
  if (ok <= 0) static_cast<std::atomic<int>*>(arg)->store(X509_STORE_CTX_get_error(store));
  return ok;
}

// cpprestsdk reports every failed connect alike ("Failed to connect to any resolved
// endpoint"); one plain connect() tells a user which it was.
std::string diagnose_connect(const std::string& host, int port) {
  std::string name = host;
  if (name.size() > 2 && name.front() == '[') name = name.substr(1, name.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    return "cannot resolve host \"" + name + "\"";
  }
  std::string why = "connection failed";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    int err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 3000) == 1) {
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      } else {
        err = ETIMEDOUT;
      }
    }
    ::close(fd);
    if (err == 0) {
      why = "the connection was closed";
      break;
    }
    why = err == ECONNREFUSED ? "connection refused" : std::strerror(err);
  }
  ::freeaddrinfo(found);
  return why;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::optional<Reason> reason_from_name(const std::string& name) {
  for (int r = static_cast<int>(Reason::kOk); r <= static_cast<int>(Reason::kInternal); ++r) {
    if (name == reason_name(static_cast<Reason>(r))) return static_cast<Reason>(r);
  }
  return std::nullopt;
}

Reason reason_from_code(int code) {
  switch (code) {
    case 400: return Reason::kBadRequest;
    case 401: return Reason::kUnauthorized;
    case 403: return Reason::kForbidden;
    case 404: return Reason::kNotFound;
    case 405: return Reason::kMethodNotAllowed;
    case 406: return Reason::kNotAcceptable;
    case 409: return Reason::kConflict;
    case 410: return Reason::kGone;
    case 413: return Reason::kRequestEntityTooLarge;
    case 415: return Reason::kUnsupportedMediaType;
    case 422: return Reason::kInvalid;
    case 429: return Reason::kTooManyRequests;
    case 503: return Reason::kUnavailable;
    case 504: return Reason::kTimeout;
    default: return Reason::kInternal;
  }
}

}  // namespace

struct ApiClient::Impl {
  std::shared_ptr<http::client::http_client> client_for(const ApiClientOptions& options, const std::string& scheme,
                                                        std::chrono::seconds timeout);
  http::http_request make_request(const ApiClientOptions& options, std::string_view method, std::string_view target,
                                  const Json* body, bool with_token);
  // Waits for a started request and reads its answer, or says why there is none.
  Attempt finish(pplx::task<http::http_response> task);
  Attempt attempt(const ApiClientOptions& options, const std::string& scheme, std::string_view method,
                  std::string_view target, const Json* body, bool with_token, std::chrono::seconds timeout);
  // For a server named without a scheme: "https", or "http" when it clearly speaks plain HTTP.
  Result<std::string> choose_scheme(const ApiClientOptions& options, std::chrono::seconds timeout);
  // The error for a failed attempt on `url`.
  Status failure_status(const ApiClientOptions& options, const Attempt& failed, const std::string& url,
                        std::chrono::seconds timeout);

  std::mutex mu;
  std::string scheme;  // guarded by mu; "" until the HTTPS/HTTP choice is made
  std::map<std::string, std::shared_ptr<http::client::http_client>> clients;  // guarded by mu
  // The last certificate verification error of any connection (X509_V_OK when none).
  std::shared_ptr<std::atomic<int>> verify_error = std::make_shared<std::atomic<int>>(X509_V_OK);
  // Whether the server ever answered: a timeout after that is slowness, not a wrong scheme.
  std::atomic<bool> answered{false};
};

ApiClient::ApiClient(ApiClientOptions options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  impl_->scheme = options_.server.scheme;
}

ApiClient::~ApiClient() = default;

std::string ApiClient::url() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return options_.server.url(impl_->scheme.empty() ? "https" : impl_->scheme);
}

std::shared_ptr<http::client::http_client> ApiClient::Impl::client_for(const ApiClientOptions& options,
                                                                        const std::string& scheme,
                                                                        std::chrono::seconds timeout) {
  std::string key = scheme + "|" + std::to_string(timeout.count());
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = clients[key];
  if (slot) return slot;
  http::client::http_client_config config;
  config.set_timeout(timeout);
  config.set_validate_certificates(!options.insecure);
  if (scheme == "https" && !options.insecure) {
    auto shared_error = verify_error;
    config.set_ssl_context_callback([shared_error](boost::asio::ssl::context& ctx) {
      SSL_CTX_set_cert_verify_callback(ctx.native_handle(), record_verify_error, shared_error.get());
    });
  }
  std::string base = scheme + "://" + options.server.host + ":" + std::to_string(options.server.port);
  slot = std::make_shared<http::client::http_client>(to_string_t(base), config);
  return slot;
}

http::http_request ApiClient::Impl::make_request(const ApiClientOptions& options, std::string_view method,
                                                 std::string_view target, const Json* body, bool with_token) {
  http::http_request request(to_string_t(std::string(method)));
  request.set_request_uri(web::uri(to_string_t(options.server.base_path + std::string(target))));
  request.headers().add(U("Accept"), U("application/json"));
  request.headers().add(U("User-Agent"), to_string_t(options.user_agent));
  if (with_token && !options.token.empty()) {
    request.headers().add(U("Authorization"), to_string_t("Bearer " + options.token));
  }
  if (body) request.set_body(body->dump(), "application/json");
  return request;
}

Attempt ApiClient::Impl::finish(pplx::task<http::http_response> task) {
  Attempt out;
  try {
    http::http_response response = task.get();
    out.reply.status = response.status_code();
    std::vector<unsigned char> bytes = response.extract_vector().get();
    out.reply.text.assign(bytes.begin(), bytes.end());
    if (!out.reply.text.empty()) out.reply.body = Json::parse(out.reply.text, nullptr, false);
    if (out.reply.body.is_discarded()) out.reply.body = nullptr;
    answered = true;
    return out;
  } catch (const http::http_exception& e) {
    out.detail = e.what();
    std::error_code code = e.error_code();
    if (code == std::errc::timed_out || code == std::errc::operation_canceled) {
      out.failure = Failure::kTimeout;
    } else if (int verify = verify_error->exchange(X509_V_OK); verify != X509_V_OK) {
      out.failure = Failure::kCertificate;
      out.detail = X509_verify_cert_error_string(verify);
    } else if (contains(out.detail, "handshake") || contains(out.detail, "SSL") || contains(out.detail, "ssl") ||
               contains(out.detail, "certificate")) {
      out.failure = Failure::kTls;
    } else if (contains(out.detail, "resolv")) {
      out.failure = Failure::kResolve;
    } else if (code.value() == ECONNREFUSED || contains(out.detail, "Failed to connect") ||
               contains(out.detail, "refused")) {
      out.failure = Failure::kRefused;
    } else {
      out.failure = Failure::kOther;
    }
  } catch (const std::exception& e) {
    out.failure = Failure::kOther;
    out.detail = e.what();
  }
  return out;
}

Attempt ApiClient::Impl::attempt(const ApiClientOptions& options, const std::string& scheme, std::string_view method,
                                 std::string_view target, const Json* body, bool with_token,
                                 std::chrono::seconds timeout) {
  try {
    auto client = client_for(options, scheme, timeout);
    auto request = make_request(options, method, target, body, with_token);
    if (scheme == "https") verify_error->store(X509_V_OK);
    return finish(client->request(request));
  } catch (const std::exception& e) {  // a malformed URI, for one
    Attempt out;
    out.failure = Failure::kOther;
    out.detail = e.what();
    return out;
  }
}

Result<std::string> ApiClient::Impl::choose_scheme(const ApiClientOptions& options, std::chrono::seconds timeout) {
  // Both probes are an unauthenticated GET /api/version: nothing secret goes out before the
  // choice. HTTPS goes first; a plain HTTP server often never answers a TLS hello (it waits for
  // a request line that never comes), so if HTTPS has not answered quickly, HTTP is asked too.
  constexpr auto kHttpsHeadStart = std::chrono::milliseconds(300);
  std::string https_url = options.server.url("https");
  std::string http_url = options.server.url("http");
  pplx::task<http::http_response> https_task;
  pplx::cancellation_token_source abandon;
  try {
    auto client = client_for(options, "https", timeout);
    verify_error->store(X509_V_OK);
    https_task = client->request(make_request(options, "GET", "/api/version", nullptr, false), abandon.get_token());
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot reach " + https_url + ": " + e.what());
  }
  auto speaks_http = [&](const Attempt& probe) { return probe.failure == Failure::kNone; };
  auto is_ferry = [&](const Attempt& probe) { return probe.reply.status == 200 && probe.reply.body.is_object(); };
  auto not_ferry = [&](const Attempt& probe) {
    return Status::Unavailable(http_url + " speaks plain HTTP but does not answer like a Ferry server (GET " +
                               options.server.base_path + "/api/version: HTTP " + std::to_string(probe.reply.status) +
                               "); to use it anyway, name it with http:// or pass --plaintext");
  };
  auto probe_timeout = std::min(timeout, std::chrono::seconds(10));

  auto head_start_end = std::chrono::steady_clock::now() + kHttpsHeadStart;
  while (!https_task.is_done() && std::chrono::steady_clock::now() < head_start_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool probed = false;
  if (!https_task.is_done()) {
    probed = true;
    Attempt probe = attempt(options, "http", "GET", "/api/version", nullptr, false, probe_timeout);
    if (speaks_http(probe)) {
      // An HTTP answer on this port: whatever the TLS attempt is waiting for will not come.
      abandon.cancel();
      try {
        https_task.wait();
      } catch (...) {
      }
      if (is_ferry(probe)) return std::string("http");
      return not_ferry(probe);
    }
  }
  Attempt https = finish(https_task);
  if (https.failure == Failure::kNone) return std::string("https");
  if (https.failure == Failure::kTls && !probed) {
    Attempt probe = attempt(options, "http", "GET", "/api/version", nullptr, false, probe_timeout);
    if (speaks_http(probe)) return is_ferry(probe) ? Result<std::string>(std::string("http")) : not_ferry(probe);
  }
  return failure_status(options, https, https_url, timeout);
}

Status ApiClient::Impl::failure_status(const ApiClientOptions& options, const Attempt& failed, const std::string& url,
                                       std::chrono::seconds timeout) {
  bool https = url.rfind("https://", 0) == 0;
  switch (failed.failure) {
    case Failure::kNone:
      return Status::Ok();
    case Failure::kRefused:
    case Failure::kResolve:
      return Status::Unavailable("cannot reach " + url + ": " + diagnose_connect(options.server.host, options.server.port));
    case Failure::kTimeout:
      return Status(Reason::kTimeout, "no answer from " + url + " within " + std::to_string(timeout.count()) + "s" +
                                          (https && !answered ? " (if the server speaks plain HTTP, name it with "
                                                                "http:// or pass --plaintext)"
                                                              : ""));
    case Failure::kCertificate:
      return Status::Unavailable("cannot verify the TLS certificate of " + url + ": " + failed.detail +
                                 " (pass --insecure to skip verification)");
    case Failure::kTls:
      return Status::Unavailable("TLS handshake with " + url + " failed: " + failed.detail +
                                 " (if the server speaks plain HTTP, name it with http:// or pass --plaintext)");
    case Failure::kOther:
      break;
  }
  return Status::Unavailable("cannot reach " + url + ": " + failed.detail);
}

Result<ApiReply> ApiClient::send(std::string_view method, std::string_view target, const Json* body,
                                 std::chrono::seconds timeout) {
  if (timeout.count() <= 0) timeout = options_.timeout;
  std::string scheme;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    scheme = impl_->scheme;
  }
  if (scheme.empty()) {
    auto chosen = impl_->choose_scheme(options_, options_.timeout);
    if (!chosen.ok()) return chosen.status();
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->scheme.empty()) impl_->scheme = *chosen;
    scheme = impl_->scheme;
  }
  Attempt result = impl_->attempt(options_, scheme, method, target, body, true, timeout);
  if (result.failure == Failure::kNone) return std::move(result.reply);
  return impl_->failure_status(options_, result, options_.server.url(scheme), timeout);
}

Result<Json> ApiClient::call(std::string_view method, std::string_view target, const Json* body,
                             std::chrono::seconds timeout) {
  auto reply = send(method, target, body, timeout);
  if (!reply.ok()) return reply.status();
  if (reply->status < 200 || reply->status > 299) return status_from_reply(*reply);
  if (reply->body.is_null()) {
    if (!reply->text.empty()) {
      return Status::Internal("the server's answer to " + std::string(method) + " " + std::string(target) +
                              " is not JSON");
    }
    return Json::object();
  }
  return std::move(reply->body);
}

Result<Json> ApiClient::list_all(std::string_view target) {
  Json items = Json::array();
  std::string next;
  // A server that keeps handing out tokens would loop forever; no real list is this long.
  for (int page = 0; page < 10000; ++page) {
    std::string url(target);
    if (!next.empty()) {
      url += (url.find('?') == std::string::npos ? "?" : "&");
      url += "continue=" + escape_query_value(next);
    }
    auto answer = get(url);
    if (!answer.ok()) return answer.status();
    if (answer->contains("items") && (*answer)["items"].is_array()) {
      for (auto& item : (*answer)["items"]) items.push_back(std::move(item));
    }
    next.clear();
    if (auto meta = answer->find("metadata"); meta != answer->end() && meta->is_object()) {
      if (auto c = meta->find("continue"); c != meta->end() && c->is_string()) next = c->get<std::string>();
    }
    if (next.empty()) return items;
  }
  return Status::Internal("GET " + std::string(target) + ": the server's pagination never ended");
}

Status status_from_reply(const ApiReply& reply) {
  Reason reason = reason_from_code(reply.status);
  std::string message;
  if (reply.body.is_object()) {
    if (auto m = reply.body.find("message"); m != reply.body.end() && m->is_string()) message = m->get<std::string>();
    if (auto e = reply.body.find("error"); e != reply.body.end() && e->is_string()) {
      if (auto named = reason_from_name(e->get<std::string>()); named && *named != Reason::kOk) reason = *named;
      if (message.empty()) message = e->get<std::string>();
    }
  }
  if (message.empty()) {
    std::string start = reply.text.substr(0, 200);
    if (size_t nl = start.find('\n'); nl != std::string::npos) start.resize(nl);
    message = "HTTP " + std::to_string(reply.status) + (start.empty() ? "" : ": " + start);
  }
  if (reply.status == 401) {
    message += " (log in with `ferry login SERVER`, or pass a token with --auth-token or FERRY_TOKEN)";
  }
  return Status(reason, message);
}

namespace {

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string escape_path_segment(std::string_view text) { return percent_encode(text); }
std::string escape_query_value(std::string_view text) { return percent_encode(text); }

}  // namespace ferry::cli
