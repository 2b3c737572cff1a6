#include "kube/client/transport.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

#include "kube/client/exec_credential.h"

namespace ferry::kube {
namespace {

namespace http = web::http;
using utility::conversions::to_string_t;
using utility::conversions::to_utf8string;

std::string base64_encode(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kChars[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kChars[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Wraps OpenSSL's chain verification to remember why it failed ("hostname mismatch", ...), so
// a handshake error can say more than cpprestsdk's "Error in SSL handshake".
int remember_verify_error(X509_STORE_CTX* store, void* arg) {
  int ok = X509_verify_cert(store);
  if (ok <= 0) static_cast<std::atomic<int>*>(arg)->store(X509_STORE_CTX_get_error(store));
  return ok;
}

// Configures an asio SSL context with the CA, a client pair and the expected server name.
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

class HttpTransport : public Transport {
 public:
  HttpTransport(RestConfig config, TransportOptions options) : config_(std::move(config)), options_(options) {
    if (!config_.exec.empty()) exec_ = std::make_unique<ExecCredentialProvider>(config_.exec);
  }

  Result<Response> send(const Request& request) override {
    auto first = send_once(request, nullptr);
    if (first.ok() && first->status == 401 && exec_) {  // the credential may have been revoked early
      exec_->invalidate();
      return send_once(request, nullptr);
    }
    return first;
  }

  Result<Response> stream(const Request& request, const std::function<bool(const std::string&)>& on_line,
                          Cancellation* cancel) override {
    auto first = send_once(request, &on_line, cancel);
    if (first.ok() && first->status == 401 && exec_) {
      exec_->invalidate();
      return send_once(request, &on_line, cancel);
    }
    return first;
  }

 private:
  struct Auth {
    std::string header;  // Authorization value, or empty
    std::string cert_pem, key_pem;
  };

  Result<Auth> auth() {
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

  std::shared_ptr<http::client::http_client> client_for(const Auth& auth) {
    std::lock_guard<std::mutex> lock(mu_);
    if (client_ && client_cert_ == auth.cert_pem) return client_;
    http::client::http_client_config cfg;
    cfg.set_timeout(std::chrono::duration_cast<std::chrono::seconds>(options_.timeout));
    if (config_.insecure) cfg.set_validate_certificates(false);
    std::string ca = config_.ca_pem, cert = auth.cert_pem, key = auth.key_pem, name = config_.tls_server_name;
    if (config_.server.rfind("https://", 0) == 0) {
      auto verify_error = verify_error_;
      cfg.set_ssl_context_callback([ca, cert, key, name, verify_error](boost::asio::ssl::context& ctx) {
        try {
          SSL_CTX_set_cert_verify_callback(ctx.native_handle(), remember_verify_error, verify_error.get());
          configure_tls(ctx, ca, cert, key, name);
        } catch (const std::exception&) {
          // Checked in make_http_transport; a failure here shows up as a handshake error.
        }
      });
    }
    client_ = std::make_shared<http::client::http_client>(to_string_t(config_.server), cfg);
    client_cert_ = auth.cert_pem;
    return client_;
  }

  Status network_error(const std::string& what, const std::exception& e, const std::error_code* code) {
    std::string msg = e.what();
    std::string where = config_.server;
    if (msg.find("certificate") != std::string::npos || msg.find("handshake") != std::string::npos ||
        msg.find("ssl") != std::string::npos || msg.find("SSL") != std::string::npos) {
      std::string expected =
          config_.tls_server_name.empty() ? "" : " (tls-server-name \"" + config_.tls_server_name + "\")";
      int verify = verify_error_->exchange(X509_V_OK);
      std::string why = verify == X509_V_OK
                            ? ""
                            : ": certificate verify failed: " + std::string(X509_verify_cert_error_string(verify));
      return Status::Unavailable("TLS handshake with " + where + expected + " failed: " + msg + why);
    }
    if (code && *code == std::errc::timed_out) {
      return Status(Reason::kTimeout, what + " " + where + " timed out: " + msg);
    }
    Status s = Status::Unavailable(what + " " + where + " failed: " + msg);
    if ((code && (code->value() == ECONNREFUSED || *code == std::errc::connection_refused)) ||
        msg.find("refused") != std::string::npos) {
      s.add_cause({"ConnectionRefused", "the server refused the connection", ""});
    }
    return s;
  }

  // With `on_line`, a 2xx body is delivered line by line instead of collected.
  Result<Response> send_once(const Request& request, const std::function<bool(const std::string&)>* on_line,
                             Cancellation* cancel = nullptr) {
    auto a = auth();
    if (!a.ok()) return a.status();
    auto client = client_for(*a);
    http::http_request req(to_string_t(request.method));
    req.set_request_uri(web::uri(to_string_t(request.path)));
    req.headers().add(U("Accept"), U("application/json"));
    req.headers().add(U("User-Agent"), to_string_t(options_.user_agent));
    if (!a->header.empty()) req.headers().add(U("Authorization"), to_string_t(a->header));
    if (!request.content_type.empty() || !request.body.empty()) {
      req.set_body(request.body, request.content_type.empty() ? "application/json" : request.content_type);
    }
    Response out;
    http::http_response resp;
    // Shared: a Cancellation callback may still be running when this call returns.
    auto drop = std::make_shared<pplx::cancellation_token_source>();
    int cancel_id = cancel ? cancel->on_cancel([drop] { drop->cancel(); }) : 0;
    struct Forget {
      Cancellation* cancel;
      int id;
      ~Forget() {
        if (cancel) cancel->forget(id);
      }
    } forget{cancel, cancel_id};
    if (cancel && cancel->cancelled()) return Status::Unavailable(request.method + " " + request.path + ": cancelled");
    try {
      resp = client->request(req, drop->get_token()).get();
    } catch (const http::http_exception& e) {
      std::error_code code = e.error_code();
      return network_error(request.method + " " + request.path + " on", e, &code);
    } catch (const std::exception& e) {
      return network_error(request.method + " " + request.path + " on", e, nullptr);
    }
    try {
      out.status = resp.status_code();
      for (const auto& [name, value] : resp.headers()) {
        std::string n = to_utf8string(name);
        for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[n] = to_utf8string(value);
      }
      if (on_line && out.status >= 200 && out.status < 300) {
        auto body = resp.body();
        while (true) {
          concurrency::streams::container_buffer<std::string> line;
          size_t n = body.read_line(line).get();
          if (n == 0 && body.is_eof()) break;
          if (cancel && cancel->cancelled()) break;
          if (!(*on_line)(line.collection())) {
            drop->cancel();  // drops the connection; the server notices on its next write
            break;
          }
        }
        return out;
      }
      std::vector<unsigned char> body = resp.extract_vector().get();
      out.body.assign(body.begin(), body.end());
    } catch (const std::exception& e) {
      return Status::Unavailable(request.method + " " + request.path + ": reading the response from " + config_.server +
                                 " failed: " + e.what());
    }
    return out;
  }

  RestConfig config_;
  TransportOptions options_;
  std::unique_ptr<ExecCredentialProvider> exec_;
  std::mutex mu_;
  std::shared_ptr<http::client::http_client> client_;  // guarded by mu_
  std::string client_cert_;                            // the cert client_ was built with
  std::string file_token_;                             // last token read from token_file
  std::pair<long, long> token_file_stamp_{-1, -1};     // its mtime
  // The last certificate verification error seen by any connection (X509_V_OK when none).
  std::shared_ptr<std::atomic<int>> verify_error_ = std::make_shared<std::atomic<int>>(X509_V_OK);
};

}  // namespace

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
  try {
    web::uri check(to_string_t(config.server));
    (void)check;
  } catch (const std::exception&) {
    return Status::Invalid("REST config: server \"" + config.server + "\" is not a valid URL");
  }
  // Check the PEM material here so a broken CA or key is reported by name, not as a handshake error.
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
  return std::shared_ptr<Transport>(std::make_shared<HttpTransport>(config, options));
}

}  // namespace ferry::kube
