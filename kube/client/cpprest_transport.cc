// The cpprestsdk engine (TransportOptions::engine = kCpprest): web::http::client::http_client,
// which pools its own connections and completes each request through pplx task continuations.
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <system_error>

#include "kube/client/http_transports.h"

namespace ferry::kube {
namespace {

namespace http = web::http;
using utility::conversions::to_string_t;
using utility::conversions::to_utf8string;

// Wraps OpenSSL's chain verification to remember why it failed ("hostname mismatch", ...), so
// a handshake error can say more than cpprestsdk's "Error in SSL handshake".
int remember_verify_error(X509_STORE_CTX* store, void* arg) {
  int ok = X509_verify_cert(store);
  if (ok <= 0) static_cast<std::atomic<int>*>(arg)->store(X509_STORE_CTX_get_error(store));
  return ok;
}

class CpprestTransport : public HttpTransportBase {
 public:
  CpprestTransport(RestConfig config, TransportOptions options)
      : HttpTransportBase(std::move(config), std::move(options)) {}

 private:
  std::shared_ptr<http::client::http_client> client_for(const Auth& auth) {
    std::lock_guard<std::mutex> lock(mu_);
    if (client_ && client_cert_ == auth.cert_pem) return client_;
    http::client::http_client_config cfg;
    cfg.set_timeout(std::chrono::duration_cast<std::chrono::seconds>(options().timeout));
    if (config().insecure) cfg.set_validate_certificates(false);
    std::string ca = config().ca_pem, cert = auth.cert_pem, key = auth.key_pem, name = config().tls_server_name;
    if (config().server.rfind("https://", 0) == 0) {
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
    client_ = std::make_shared<http::client::http_client>(to_string_t(config().server), cfg);
    client_cert_ = auth.cert_pem;
    return client_;
  }

  Status request_error(const std::string& what, const std::exception& e, const std::error_code* code) {
    std::string msg = e.what();
    if (msg.find("certificate") != std::string::npos || msg.find("handshake") != std::string::npos ||
        msg.find("ssl") != std::string::npos || msg.find("SSL") != std::string::npos) {
      return tls_handshake_error(config(), msg, verify_error_->exchange(X509_V_OK));
    }
    bool timed_out = code && *code == std::errc::timed_out;
    // cpprestsdk reports every failed connect as "Failed to connect to any resolved endpoint"
    // (with EHOSTUNREACH): either way the request never left.
    bool refused = (code && (code->value() == ECONNREFUSED || *code == std::errc::connection_refused)) ||
                   msg.find("refused") != std::string::npos || msg.find("Failed to connect") != std::string::npos;
    return network_error(what, config().server, msg, refused, timed_out);
  }

  Result<Response> round_trip(const Request& request, const Auth& auth, const LineHandler* on_line,
                              Cancellation* cancel) override {
    auto client = client_for(auth);
    http::http_request req(to_string_t(request.method));
    req.set_request_uri(web::uri(to_string_t(request.path)));
    req.headers().add(U("Accept"), U("application/json"));
    req.headers().add(U("User-Agent"), to_string_t(options().user_agent));
    if (!auth.header.empty()) req.headers().add(U("Authorization"), to_string_t(auth.header));
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
      return request_error(request.method + " " + request.path + " on", e, &code);
    } catch (const std::exception& e) {
      return request_error(request.method + " " + request.path + " on", e, nullptr);
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
      return Status::Unavailable(request.method + " " + request.path + ": reading the response from " +
                                 config().server + " failed: " + e.what());
    }
    return out;
  }

  std::mutex mu_;
  std::shared_ptr<http::client::http_client> client_;  // guarded by mu_
  std::string client_cert_;                            // guarded by mu_: the cert client_ was built with
  // The last certificate verification error seen by any connection (X509_V_OK when none).
  std::shared_ptr<std::atomic<int>> verify_error_ = std::make_shared<std::atomic<int>>(X509_V_OK);
};

}  // namespace

Result<std::shared_ptr<Transport>> make_cpprest_transport(const RestConfig& config, const TransportOptions& options) {
  try {
    web::uri check(to_string_t(config.server));
    (void)check;
  } catch (const std::exception&) {
    return Status::Invalid("REST config: server \"" + config.server + "\" is not a valid URL");
  }
  return std::shared_ptr<Transport>(std::make_shared<CpprestTransport>(config, options));
}

}  // namespace ferry::kube
