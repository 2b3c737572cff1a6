// Where the CLI's client commands send their requests: a Ferry server named the way users type
// it — `host:port`, `http://host:port`, `https://host:port`, an optional path prefix when the
// server sits behind a proxy (`https://ci.example.com/ferry`). Plain values, pure functions; any
// thread.
#pragma once

#include <string>
#include <string_view>

#include "apis/types/status.h"

namespace ferry::cli {

struct ServerUrl {
  // "https", "http", or "" when the user named no scheme: then the client tries HTTPS and falls
  // back to HTTP only when the server clearly speaks plain HTTP (see ApiClient).
  std::string scheme;
  std::string host;       // lower-cased; an IPv6 address keeps its brackets: "[::1]"
  int port = 0;           // as given, or the scheme's default (443, 80); 443 when there is none
  std::string base_path;  // "" or "/prefix" without a trailing slash

  // "https://host:port/prefix"; with no scheme yet, the one given (a fallback such as "https").
  std::string url(std::string_view fallback_scheme = "https") const;
  // "host:port/prefix": what identifies the server regardless of scheme, e.g. to decide whether
  // the token in the config file belongs to it.
  std::string key() const;
};

// Reads a server as typed on the command line or stored in the config file. `plaintext`
// (--plaintext) asks for HTTP: it sets the scheme when none is given and conflicts with an
// explicit https://. Invalid, quoting the text, on anything else (other schemes, a bad port,
// spaces, user info, queries).
Result<ServerUrl> parse_server_url(std::string_view text, bool plaintext = false);

}  // namespace ferry::cli
