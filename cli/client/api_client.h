// The CLI's HTTP client for Ferry's REST API (docs/api.md): JSON requests with a bearer token to
// one server, over HTTPS (certificates verified unless `insecure`) or plain HTTP. cpprestsdk
// does the I/O; its exceptions are caught here and become Status values with messages a user
// can act on ("cannot reach https://127.0.0.1:8080: connection refused").
//
// When the server was named without a scheme, the client first finds out which one it speaks,
// with unauthenticated GET /api/version probes only: HTTPS first; plain HTTP only when HTTPS
// does not answer (quickly, or at all) for a reason other than the certificate and the HTTP
// probe answers 200 with JSON — the server clearly speaks plain HTTP. A certificate that cannot
// be verified is an error, never a reason to fall back. The choice is then kept (url()).
//
// Thread-safe: one ApiClient may serve several threads at once (a sync waits for its result on
// one thread while another polls the Application for progress).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "apis/types/status.h"
#include "cli/client/server_url.h"

namespace ferry::cli {

using Json = nlohmann::json;

struct ApiClientOptions {
  ServerUrl server;
  std::string token;  // sent as "Authorization: Bearer <token>" when not empty
  bool insecure = false;
  std::chrono::seconds timeout{30};  // for each request that does not ask for another
  std::string user_agent = "ferry-cli/0.1.0";
};

// One HTTP answer, whatever its status.
struct ApiReply {
  int status = 0;
  Json body;         // the parsed JSON body; null when it was empty or not JSON
  std::string text;  // the body as received
};

class ApiClient {
 public:
  explicit ApiClient(ApiClientOptions options);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Sends `method target` (target = path and query under the server's base path, e.g.
  // "/api/v1/applications?limit=10") with an optional JSON body. Every HTTP answer is a reply;
  // only transport failures (unreachable, TLS, timeout) are errors. `timeout` 0 = the default.
  Result<ApiReply> send(std::string_view method, std::string_view target, const Json* body = nullptr,
                        std::chrono::seconds timeout = std::chrono::seconds(0));

  // Like send, then: a 2xx answer gives its JSON body ({} when empty); anything else becomes the
  // server's error (status_from_reply).
  Result<Json> call(std::string_view method, std::string_view target, const Json* body = nullptr,
                    std::chrono::seconds timeout = std::chrono::seconds(0));
  Result<Json> get(std::string_view target) { return call("GET", target); }
  Result<Json> post(std::string_view target, const Json& body) { return call("POST", target, &body); }
  Result<Json> put(std::string_view target, const Json& body) { return call("PUT", target, &body); }
  Result<Json> del(std::string_view target) { return call("DELETE", target); }

  // GETs a paginated list (docs/api.md: ?limit= and metadata.continue) to its end; returns all
  // items as one array.
  Result<Json> list_all(std::string_view target);

  // The server's URL; its scheme is "https" until a fallback to HTTP was made.
  std::string url() const;
  bool has_token() const { return !options_.token.empty(); }

 private:
  struct Impl;
  ApiClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// The error a non-2xx reply stands for: the server's {"error", "code", "message"} when it sent
// one (reason from "error" or else the HTTP code, message verbatim), else "HTTP <code>" and the
// start of the body. 401 adds how to log in. Pure.
Status status_from_reply(const ApiReply& reply);

// Percent-encoding for one path segment (everything but RFC 3986's unreserved characters) and
// for a query value. Pure.
std::string escape_path_segment(std::string_view text);
std::string escape_query_value(std::string_view text);

}  // namespace ferry::cli
