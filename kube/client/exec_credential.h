// Exec credential plugins (client.authentication.k8s.io ExecCredential): runs the command a
// kubeconfig's users[].user.exec names, reads the credential it prints and caches it until its
// expirationTimestamp. The plugin's output is secret: it never appears in errors or logs (only
// its exit code and the first line of its stderr do).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "apis/types/status.h"
#include "kube/client/kubeconfig.h"

namespace ferry::kube {

struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiry;  // none: valid until invalidated
};

// Runs the plugin once (environment: ours plus config.env plus KUBERNETES_EXEC_INFO), killing it
// after `timeout`. Errors are Unauthorized-free: Unavailable when it cannot run or fails,
// Invalid when its output is not an ExecCredential.
Result<ExecCredential> run_exec_plugin(const ExecConfig& config,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Parses the JSON an exec plugin prints. Exposed for tests.
Result<ExecCredential> parse_exec_credential(const std::string& output, const std::string& api_version);

// A cached credential source for one ExecConfig. Thread-safe: concurrent get() calls run the
// plugin at most once at a time.
class ExecCredentialProvider {
 public:
  explicit ExecCredentialProvider(ExecConfig config, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ExecCredentialProvider(const ExecCredentialProvider&) = delete;
  ExecCredentialProvider& operator=(const ExecCredentialProvider&) = delete;

  // The cached credential, or a fresh one when there is none or it expires within 10 seconds.
  Result<ExecCredential> get();
  // Drops the cache (after a 401), so the next get() runs the plugin again.
  void invalidate();

 private:
  ExecConfig config_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::optional<ExecCredential> cached_;  // guarded by mu_
};

}  // namespace ferry::kube
