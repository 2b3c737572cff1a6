// The Kubernetes API simulator (`ferry sim`): an in-memory kube-apiserver stand-in that real
// kubectl accepts. It serves discovery, the built-in kinds and CRD-defined resources with their
// verbs (get, list, watch, create, update, patch of all four types, delete, deletecollection,
// /status and /scale), server-side apply with managedFields, defaulting, garbage collection,
// namespace lifecycle, simulated workload readiness, fault injection (POST /sim/faults) and
// request statistics (GET /sim/stats).
//
// Threads: start() and stop() from one owning thread; everything else is internal.
#pragma once

#include <memory>
#include <string>

namespace ferry::kube::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  bool tls = false;
  int ready_delay_ms = 500;  // how long workloads take to become ready
  std::string token;         // bearer token; generated when empty
  size_t watch_history = 20000;
  int threads = 2;
  size_t max_body_bytes = 3 * 1024 * 1024;
};

class ApiServer {
 public:
  explicit ApiServer(SimOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Listens and starts serving; returns an error message, empty on success.
  std::string start();
  void stop();

  int port() const;
  std::string server_url() const;  // "https://127.0.0.1:PORT"
  const std::string& token() const;
  // A kubeconfig (YAML) for real kubectl: token user, and the CA when TLS is on.
  std::string kubeconfig() const;
  // A kubeconfig whose user authenticates with the simulator's client certificate (TLS only).
  std::string client_cert_kubeconfig() const;
  std::string ca_cert_pem() const;

  struct Impl;  // public only for the implementation files

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::kube::sim
