// Certificates for the simulator: a throwaway CA, a server certificate for 127.0.0.1/localhost
// and a client certificate, generated in memory with OpenSSL (PEM text). Thread-safe (pure).
#pragma once

#include <string>

namespace ferry::kube::sim {

struct TlsMaterial {
  std::string ca_cert_pem;
  std::string ca_key_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::string client_cert_pem;  // CN "ferry-sim-admin", O "system:masters"
  std::string client_key_pem;
};

// Throws std::runtime_error only when OpenSSL itself fails (out of memory and the like).
TlsMaterial generate_tls_material();

// A signed client certificate for another CN, for tests of client-cert auth.
void issue_client_certificate(const TlsMaterial& ca, const std::string& common_name, std::string& cert_pem,
                              std::string& key_pem);

}  // namespace ferry::kube::sim
