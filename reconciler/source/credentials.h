// Repository credentials and SSH host-key checking. A Credentials value holds secrets in memory
// only: it has no printer, errors never quote it, and read_secret is the one way to load a
// secret from a file. Plain values; thread-safe to copy and read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "apis/types/status.h"

namespace ferry::reconciler {

struct Credentials {
  // HTTPS: basic auth, or a token (sent as the password; username defaults to "git").
  std::string username;
  std::string password;
  // SSH: a private key (PEM/OpenSSH text), an optional passphrase, and the known_hosts file the
  // server's key must appear in. Strict by default: an unknown or changed host key is refused.
  std::string ssh_private_key;
  std::string ssh_passphrase;
  std::string known_hosts_file;  // empty: ~/.ssh/known_hosts
  bool insecure_ignore_host_key = false;

  bool has_basic() const { return !password.empty() || !username.empty(); }
  bool has_ssh_key() const { return !ssh_private_key.empty(); }
  // Secret strings to scrub from any text that leaves the process.
  std::vector<std::string> secrets() const;
};

// A secret given in settings or flags: "file:/path" reads the file (one trailing newline
// dropped), anything else is the value itself. Errors name the file, never the content.
Result<std::string> read_secret(std::string_view value);

// Reads a whole file; NotFound / Internal with the path in the message.
Result<std::string> read_file(const std::string& path);

// Replaces every occurrence of each secret (and URL passwords, `https://u:p@`) with "******".
std::string redact(std::string text, const std::vector<std::string>& secrets);

// Checks an SSH host key against known_hosts text. `host` is the server name as dialled and
// `port` its port (22 is written bare, others as "[host]:port"); `key_type` the OpenSSH name
// ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ...) and `key_blob` the raw public key.
// Hashed entries (|1|salt|hash) and comma-separated host lists are understood; @revoked marks
// refuse. Returns Ok when a line matches; Unauthorized naming the host otherwise ("host key for
// github.com is unknown" / "... does not match known_hosts").
Status check_known_host(std::string_view known_hosts_text, std::string_view host, int port,
                        std::string_view key_type, std::string_view key_blob);

}  // namespace ferry::reconciler
