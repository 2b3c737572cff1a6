#include "kube/sim/tls.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace ferry::kube::sim {
namespace {

template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, decltype([](T* p) { Free(p); })>;
using KeyPtr = Owned<EVP_PKEY, EVP_PKEY_free>;
using CertPtr = Owned<X509, X509_free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("openssl: ") + what);
}

KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

std::string key_pem(EVP_PKEY* key) {
  Owned<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string cert_pem(X509* cert) {
  Owned<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "write certificate");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

CertPtr make_cert(EVP_PKEY* key, const std::string& cn, const std::string& org, X509* issuer, EVP_PKEY* issuer_key,
                  bool ca, const char* san, const char* usage) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!org.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  add_extension(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert.get(), signer, NID_key_usage,
                ca ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature,keyEncipherment");
  if (usage) add_extension(cert.get(), signer, NID_ext_key_usage, usage);
  if (san) add_extension(cert.get(), signer, NID_subject_alt_name, san);
  check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "sign");
  return cert;
}

CertPtr read_cert(const std::string& pem) {
  Owned<BIO, BIO_free_all> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  check(cert != nullptr, "read CA certificate");
  return cert;
}

KeyPtr read_key(const std::string& pem) {
  Owned<BIO, BIO_free_all> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "read CA key");
  return key;
}

}  // namespace

TlsMaterial generate_tls_material() {
  TlsMaterial m;
  KeyPtr ca_key = new_key();
  CertPtr ca = make_cert(ca_key.get(), "ferry-sim-ca", "", nullptr, nullptr, true, nullptr, nullptr);
  KeyPtr server_key = new_key();
  CertPtr server = make_cert(server_key.get(), "ferry-sim", "", ca.get(), ca_key.get(), false,
                             "IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc", "serverAuth");
  m.ca_cert_pem = cert_pem(ca.get());
  m.ca_key_pem = key_pem(ca_key.get());
  m.server_cert_pem = cert_pem(server.get());
  m.server_key_pem = key_pem(server_key.get());
  issue_client_certificate(m, "ferry-sim-admin", m.client_cert_pem, m.client_key_pem);
  return m;
}

void issue_client_certificate(const TlsMaterial& ca, const std::string& common_name, std::string& cert_pem_out,
                              std::string& key_pem_out) {
  CertPtr ca_cert = read_cert(ca.ca_cert_pem);
  KeyPtr ca_key = read_key(ca.ca_key_pem);
  KeyPtr key = new_key();
  CertPtr cert = make_cert(key.get(), common_name, "system:masters", ca_cert.get(), ca_key.get(), false, nullptr,
                           "clientAuth");
  cert_pem_out = cert_pem(cert.get());
  key_pem_out = key_pem(key.get());
}

}  // namespace ferry::kube::sim
