// Kubeconfig and in-cluster loading: turns kubeconfig files (several merged, as KUBECONFIG does)
// or a pod's service-account mount into one RestConfig — where the API server is, how to trust
// it and how to authenticate. Every missing or broken piece gives an Invalid/NotFound Status
// that names the file and the entry (`kubeconfig /x: context "prod" not found`); secret values
// never appear in messages. All functions are pure apart from reading files and the environment,
// and are thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "apis/types/status.h"

namespace ferry::kube {

// A client-go exec credential plugin (users[].user.exec).
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool empty() const { return command.empty(); }
};

// Everything needed to reach one API server. PEM fields hold decoded PEM text.
struct RestConfig {
  std::string server;  // https://host:port (no trailing slash)
  std::string ca_pem;
  bool insecure = false;
  std::string tls_server_name;
  std::string token;
  std::string token_file;  // re-read by the client when it changes
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string username;
  std::string password;
  ExecConfig exec;
  std::string namespace_ = "default";  // the context's namespace, or the pod's
};

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// Loads and merges `paths` (first file wins per cluster/user/context name and for
// current-context) and resolves `context` (empty: current-context). Relative file references
// are taken relative to the file that names them.
Result<RestConfig> load_kubeconfig(const std::vector<std::string>& paths, const std::string& context = "");

// Same, from kubeconfig text already in memory; `source` names it in errors, `base_dir`
// resolves relative file references.
Result<RestConfig> load_kubeconfig_text(const std::string& text, const std::string& source,
                                        const std::string& context = "", const std::string& base_dir = ".");

// In-cluster config: KUBERNETES_SERVICE_HOST/PORT plus token, ca.crt and namespace from
// `service_account_dir`. The token is also recorded as token_file so rotation is picked up.
Result<RestConfig> load_in_cluster(const std::string& service_account_dir = kServiceAccountDir);

// The kubeconfig search path: $KUBECONFIG split on ':' (empty entries dropped), else
// ~/.kube/config.
std::vector<std::string> default_kubeconfig_paths();

// What `ferry controller` does without --kubeconfig: $KUBECONFIG when set, else in-cluster when
// KUBERNETES_SERVICE_HOST is set (service-account files from $FERRY_SERVICEACCOUNT_DIR when set,
// else kServiceAccountDir), else ~/.kube/config.
Result<RestConfig> load_default(const std::string& context = "");

}  // namespace ferry::kube
