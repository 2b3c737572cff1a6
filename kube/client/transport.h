// The HTTP layer under kube::Client: one request in, one complete response (or a network error)
// out. The interface lets tests put a fake under the Client; make_http_transport gives the real
// one — Boost.Beast with a keep-alive connection pool by default, cpprestsdk on request — with TLS
// trust and authentication taken from a RestConfig. Transports are thread-safe: one instance
// serves concurrent requests. Network and TLS failures come back as Unavailable (cause
// "ConnectionRefused" when the request surely never reached the server) or Timeout; credentials
// never appear in messages.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "apis/types/status.h"
#include "kube/client/cancellation.h"
#include "kube/client/kubeconfig.h"

namespace ferry::kube {

struct Request {
  std::string method = "GET";
  std::string path;  // "/api/v1/namespaces/x/configmaps?limit=500", already percent-encoded
  std::string body;
  std::string content_type;  // set when body is
};

struct Response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<Response> send(const Request& request) = 0;
  // For a response whose body is a stream of lines (a watch): calls `on_line` for each complete
  // line as it arrives until the body ends, `on_line` returns false or `cancel` (may be null) is
  // cancelled; the last two drop the connection. A non-2xx response is returned whole, without
  // calling `on_line`. The default sends the request and splits the complete body.
  virtual Result<Response> stream(const Request& request, const std::function<bool(const std::string&)>& on_line,
                                  Cancellation* cancel);
};

// Which HTTP library moves the bytes. Both honour the whole contract above.
enum class TransportEngine {
  kBeast,    // Boost.Beast, synchronous I/O on the calling thread, pooled keep-alive connections
  kCpprest,  // cpprestsdk's http_client: pplx task continuations, ~5x the CPU per request
};

struct TransportOptions {
  // Connect plus the whole request for send(); connect, headers and then each read for stream().
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  std::string user_agent = "ferry";
  TransportEngine engine = TransportEngine::kBeast;
};

// Checks the config's server URL and PEM material up front (Invalid naming the bad piece) and
// builds the transport `options.engine` names. The token file is re-read when its modification
// time changes; exec credentials are cached until expiry and refreshed once on a 401.
Result<std::shared_ptr<Transport>> make_http_transport(const RestConfig& config, TransportOptions options = {});

}  // namespace ferry::kube
