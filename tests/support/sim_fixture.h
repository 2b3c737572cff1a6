// Runs a real `ferry sim` child process for integration tests and gives its kubeconfig, URL and
// token, plus a kubectl runner that uses that kubeconfig. One simulator per object.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace ferry::testing {

class SimProcess {
 public:
  // Starts `ferry sim` on a free loopback port. `tls` adds HTTPS with a generated CA.
  explicit SimProcess(bool tls = true, int ready_delay_ms = 200);
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& url() const { return url_; }
  const std::string& kubeconfig() const { return kubeconfig_; }
  // With TLS: a kubeconfig whose user is a client certificate signed by the simulator's CA.
  const std::string& client_cert_kubeconfig() const { return client_cert_kubeconfig_; }
  std::string token() const;
  // Runs kubectl with --kubeconfig set; `input` goes to its stdin.
  CommandResult kubectl(const std::vector<std::string>& args, const std::string& input = "") const;
  // GET/POST on the simulator's own endpoints (/sim/stats, /sim/faults) with the token.
  std::string sim_get(const std::string& path) const;
  std::string sim_post(const std::string& path, const std::string& json) const;
  TempDir& dir() { return dir_; }

 private:
  TempDir dir_;
  ChildProcess child_;
  bool ok_ = false;
  std::string error_, url_, kubeconfig_, client_cert_kubeconfig_;
};

}  // namespace ferry::testing
