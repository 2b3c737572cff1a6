// A small blocking HTTP/1.1 client for tests, over plain TCP to a loopback server: one request
// per connection (Connection: close), chunked answers decoded. Real sockets, no shortcuts.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (connection failed or malformed)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const;  // "" when absent
};

// `url` is http://HOST:PORT/path?query. `headers` are added as given.
HttpReply http_request(const std::string& method, const std::string& url, const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {}, int timeout_seconds = 120);

}  // namespace ferry::testing
