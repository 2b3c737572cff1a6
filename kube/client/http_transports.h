// Internal to kube/client: what the two HTTP engines behind make_http_transport (Boost.Beast, the
// default, and cpprestsdk) share — the server URL, credentials, TLS trust setup, the wording of
// network errors and the retry after a 401 — plus their factories. One copy, so the engines can
// only differ in how bytes move. Not part of the client's public interface.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "apis/types/status.h"
#include "kube/client/exec_credential.h"
#include "kube/client/kubeconfig.h"
#include "kube/client/transport.h"

namespace ferry::kube {

using LineHandler = std::function<bool(const std::string&)>;

// A RestConfig server URL taken apart: "https://host:6443/prefix".
struct ServerUrl {
  bool tls = false;
  std::string host;         // without IPv6 brackets: what to resolve and verify
  std::string port;         // "443"/"80" when the URL names none
  std::string host_header;  // as the Host header carries it: "[::1]:6443"
  std::string base_path;    // "/prefix" or empty; request paths are appended to it
};

// Invalid naming the URL when it is not http(s)://host[:port][/path].
Result<ServerUrl> parse_server_url(const std::string& server);

// What a request carries to authenticate: the Authorization value (or empty) and the client
// certificate pair (exec plugins may supply one that replaces the config's).
struct Auth {
  std::string header;
  std::string cert_pem, key_pem;
};

// The credentials of one RestConfig: exec plugin (cached until expiry), token file (re-read when
// its modification time changes), token, basic auth, in that order. Thread-safe.
class Credentials {
 public:
  explicit Credentials(const RestConfig& config);
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  Result<Auth> get();
  // After a 401: drops a cached exec credential. True when the next get() may bring a new one.
  bool refresh_after_unauthorized();

 private:
  const RestConfig config_;
  std::unique_ptr<ExecCredentialProvider> exec_;
  std::mutex mu_;
  std::string file_token_;                          // guarded by mu_: last token read from token_file
  std::pair<long, long> token_file_stamp_{-1, -1};  // guarded by mu_: its mtime
};

// Base of both engines: resolves credentials for each request and sends it once more after a
// 401 when an exec credential could be refreshed. Engines implement round_trip; thread-safe when
// round_trip is.
class HttpTransportBase : public Transport {
 public:
  Result<Response> send(const Request& request) override;
  Result<Response> stream(const Request& request, const LineHandler& on_line, Cancellation* cancel) override;

 protected:
  HttpTransportBase(RestConfig config, TransportOptions options);
  // One attempt. With `on_line`, a 2xx body is delivered line by line (see Transport::stream).
  virtual Result<Response> round_trip(const Request& request, const Auth& auth, const LineHandler* on_line,
                                      Cancellation* cancel) = 0;
  const RestConfig& config() const { return config_; }
  const TransportOptions& options() const { return options_; }

 private:
  Result<Response> with_credentials(const Request& request, const LineHandler* on_line, Cancellation* cancel);

  const RestConfig config_;
  const TransportOptions options_;
  Credentials credentials_;
};

// Loads the CA, a client pair and the expected server name into an asio SSL context. Throws
// what asio throws on bad PEM (make_http_transport has checked the config's material already).
void configure_tls(boost::asio::ssl::context& ctx, const std::string& ca_pem, const std::string& cert_pem,
                   const std::string& key_pem, const std::string& server_name);

// Unavailable: "TLS handshake with <server> (tls-server-name "n") failed: <detail>", followed by
// "certificate verify failed: <why>" when `verify_result` is an X509_V_ERR_* code.
Status tls_handshake_error(const RestConfig& config, const std::string& detail, long verify_result);

// "<what> <server> failed: <detail>" as Unavailable (with a ConnectionRefused cause when
// `refused`: the request surely never arrived), or "... timed out: ..." as Timeout.
Status network_error(const std::string& what, const std::string& server, const std::string& detail, bool refused,
                     bool timed_out);

// The engines. The config has been checked (URL, PEM material) by make_http_transport.
Result<std::shared_ptr<Transport>> make_beast_transport(const RestConfig& config, const TransportOptions& options);
Result<std::shared_ptr<Transport>> make_cpprest_transport(const RestConfig& config, const TransportOptions& options);

}  // namespace ferry::kube
