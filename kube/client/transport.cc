// What both HTTP engines share (see http_transports.h) and the factory that picks one.
#include "kube/client/transport.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "apis/types/base64.h"
#include "kube/client/http_transports.h"

namespace ferry::kube {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool is_host_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'; }

// Checks the config's PEM material, so a broken CA or key is reported by name, not as a handshake error.
Status check_tls_material(const RestConfig& config) {
  auto check = [](auto&& fn, const std::string& what) -> Status {
    try {
      boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
      fn(ctx);
    } catch (const std::exception&) {
      return Status::Invalid("REST config: " + what + " is not valid PEM");
    }
    return Status::Ok();
  };
  if (!config.ca_pem.empty()) {
    Status s = check([&](auto& ctx) { configure_tls(ctx, config.ca_pem, "", "", ""); }, "certificate authority");
    if (!s.ok()) return s;
  }
  if (!config.client_cert_pem.empty()) {
    Status s = check([&](auto& ctx) { configure_tls(ctx, "", config.client_cert_pem, config.client_key_pem, ""); },
                     "client certificate or key");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<ServerUrl> parse_server_url(const std::string& server) {
  auto invalid = [&] { return Status::Invalid("REST config: server \"" + server + "\" is not a valid URL"); };
  ServerUrl url;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    url.tls = true;
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    rest = server.substr(7);
  } else {
    return invalid();
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  url.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  if (url.base_path.find_first_of("?# ") != std::string::npos) return invalid();
  std::string port;
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) return invalid();
    url.host = authority.substr(1, close - 1);
    if (url.host.empty() || url.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return invalid();
    }
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':' || after.size() == 1) return invalid();
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return invalid();
    }
    if (url.host.empty()) return invalid();
    for (char c : url.host) {
      if (!is_host_char(c)) return invalid();
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
        std::stoi(port) > 65535) {
      return invalid();
    }
  }
  url.port = port.empty() ? (url.tls ? "443" : "80") : port;
  url.host_header = authority;
  return url;
}

Credentials::Credentials(const RestConfig& config) : config_(config) {
  if (!config_.exec.empty()) exec_ = std::make_unique<ExecCredentialProvider>(config_.exec);
}

Result<Auth> Credentials::get() {
  Auth auth{"", config_.client_cert_pem, config_.client_key_pem};
  if (exec_) {
    auto cred = exec_->get();
    if (!cred.ok()) return cred.status();
    if (!cred->token.empty()) auth.header = "Bearer " + cred->token;
    if (!cred->client_cert_pem.empty()) {
      auth.cert_pem = cred->client_cert_pem;
      auth.key_pem = cred->client_key_pem;
    }
    return auth;
  }
  if (!config_.token_file.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    struct stat st {};
    if (stat(config_.token_file.c_str(), &st) == 0) {
      auto stamp = std::pair<long, long>(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
      if (stamp != token_file_stamp_ || file_token_.empty()) {
        std::ifstream in(config_.token_file);
        std::ostringstream ss;
        ss << in.rdbuf();
        std::string token = trim(ss.str());
        if (!token.empty()) {
          file_token_ = token;
          token_file_stamp_ = stamp;
        }
      }
    }
    if (!file_token_.empty()) {
      auth.header = "Bearer " + file_token_;
      return auth;
    }
  }
  if (!config_.token.empty()) {
    auth.header = "Bearer " + config_.token;
  } else if (!config_.username.empty()) {
    auth.header = "Basic " + base64_encode(config_.username + ":" + config_.password);
  }
  return auth;
}

bool Credentials::refresh_after_unauthorized() {
  if (!exec_) return false;  // the credential may have been revoked early: ask the plugin again
  exec_->invalidate();
  return true;
}

HttpTransportBase::HttpTransportBase(RestConfig config, TransportOptions options)
    : config_(std::move(config)), options_(std::move(options)), credentials_(config_) {}

Result<Response> HttpTransportBase::send(const Request& request) { return with_credentials(request, nullptr, nullptr); }

Result<Response> HttpTransportBase::stream(const Request& request, const LineHandler& on_line, Cancellation* cancel) {
  return with_credentials(request, &on_line, cancel);
}

Result<Response> HttpTransportBase::with_credentials(const Request& request, const LineHandler* on_line,
                                                     Cancellation* cancel) {
  auto auth = credentials_.get();
  if (!auth.ok()) return auth.status();
  auto first = round_trip(request, *auth, on_line, cancel);
  if (!first.ok() || first->status != 401 || !credentials_.refresh_after_unauthorized()) return first;
  auth = credentials_.get();
  if (!auth.ok()) return auth.status();
  return round_trip(request, *auth, on_line, cancel);
}

void configure_tls(boost::asio::ssl::context& ctx, const std::string& ca_pem, const std::string& cert_pem,
                   const std::string& key_pem, const std::string& server_name) {
  if (!ca_pem.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca_pem.data(), ca_pem.size()));
  if (!cert_pem.empty()) {
    ctx.use_certificate_chain(boost::asio::buffer(cert_pem.data(), cert_pem.size()));
    ctx.use_private_key(boost::asio::buffer(key_pem.data(), key_pem.size()), boost::asio::ssl::context::pem);
  }
  if (!server_name.empty()) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.native_handle());
    X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), server_name.size());
  }
}

Status tls_handshake_error(const RestConfig& config, const std::string& detail, long verify_result) {
  std::string expected = config.tls_server_name.empty() ? "" : " (tls-server-name \"" + config.tls_server_name + "\")";
  std::string msg = "TLS handshake with " + config.server + expected + " failed: ";
  if (verify_result == X509_V_OK) return Status::Unavailable(msg + detail);
  std::string why = "certificate verify failed: " + std::string(X509_verify_cert_error_string(verify_result));
  // OpenSSL's own detail is then just "certificate verify failed": say it once, with the reason.
  if (detail.rfind("certificate verify failed", 0) == 0) return Status::Unavailable(msg + why);
  return Status::Unavailable(msg + detail + ": " + why);
}

Status network_error(const std::string& what, const std::string& server, const std::string& detail, bool refused,
                     bool timed_out) {
  if (timed_out) return Status(Reason::kTimeout, what + " " + server + " timed out: " + detail);
  Status s = Status::Unavailable(what + " " + server + " failed: " + detail);
  if (refused) s.add_cause({"ConnectionRefused", "the server refused the connection", ""});
  return s;
}

Result<Response> Transport::stream(const Request& request, const std::function<bool(const std::string&)>& on_line,
                                   Cancellation* /*cancel: the whole body is already here*/) {
  auto response = send(request);
  if (!response.ok() || response->status < 200 || response->status >= 300) return response;
  size_t start = 0;
  while (start < response->body.size()) {
    size_t end = response->body.find('\n', start);
    if (end == std::string::npos) end = response->body.size();
    if (!on_line(response->body.substr(start, end - start))) break;
    start = end + 1;
  }
  response->body.clear();
  return response;
}

Result<std::shared_ptr<Transport>> make_http_transport(const RestConfig& config, TransportOptions options) {
  if (config.server.empty()) return Status::Invalid("REST config: server is not set");
  auto url = parse_server_url(config.server);
  if (!url.ok()) return url.status();
  Status tls = check_tls_material(config);
  if (!tls.ok()) return tls;
  switch (options.engine) {
    case TransportEngine::kCpprest:
      return make_cpprest_transport(config, options);
    case TransportEngine::kBeast:
      break;
  }
  return make_beast_transport(config, options);
}

}  // namespace ferry::kube
