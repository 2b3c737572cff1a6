// The CLI's login state: which server `ferry login` reached and the session token it got, kept
// in $XDG_CONFIG_HOME/ferry/config (default ~/.config/ferry/config) as a small YAML document:
//
//   server: https://ferry.example.com:443
//   username: admin
//   token: ferry_...
//   insecure: false
//   plaintext: false
//
// The file holds a credential, so it is written with mode 0600 in a 0700 folder, atomically
// (a temporary file renamed over the old one). Plain values and free functions; concurrent
// writers of one file are not coordinated (the last rename wins).
#pragma once

#include <string>

#include "apis/types/status.h"

namespace ferry::cli {

struct CliConfig {
  std::string server;  // a URL with its scheme, as the login resolved it; "" = not logged in
  std::string username;
  std::string token;
  bool insecure = false;   // skip TLS verification (--insecure at login)
  bool plaintext = false;  // the server speaks plain HTTP (--plaintext, or found out at login)
};

// The file to use: `flag` (--config) when set, else $XDG_CONFIG_HOME/ferry/config when that is
// set and absolute (as the XDG spec asks), else $HOME/.config/ferry/config. Inputs are passed
// in (not read from the environment here) so that the rule can be tested.
std::string config_file_path(const std::string& flag, const char* xdg_config_home, const char* home);

// Reads the file. A missing file is an empty config, not an error; unreadable or malformed
// content is Invalid, naming the file.
Result<CliConfig> read_config(const std::string& path);

// Writes the file (mode 0600), creating its folder (mode 0700) and missing parents.
Status write_config(const std::string& path, const CliConfig& config);

}  // namespace ferry::cli
