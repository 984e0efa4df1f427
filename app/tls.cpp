#include "app/tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>

namespace selfheal::app {

struct TlsCredentials::Pair {
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  EVP_PKEY* key = nullptr;
  ~Pair() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
  }
};

namespace {
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;
}  // namespace

TlsCredentials::TlsCredentials(ServerTlsConfig cfg) : cfg_(std::move(cfg)) {}
TlsCredentials::~TlsCredentials() = default;

Result<void> TlsCredentials::load() {
  ERR_clear_error();
  auto p = std::make_shared<Pair>();
  File cf(std::fopen(cfg_.cert_file.c_str(), "r"));
  if (!cf) return make_error(ErrorCode::config, "server.tls.cert_file: cannot read " + cfg_.cert_file);
  p->cert = PEM_read_X509(cf.get(), nullptr, nullptr, nullptr);
  if (!p->cert)
    return make_error(ErrorCode::config, "server.tls.cert_file: no PEM certificate in " + cfg_.cert_file + " (" +
                                             openssl_error() + ")");
  p->chain = sk_X509_new_null();
  while (X509* extra = PEM_read_X509(cf.get(), nullptr, nullptr, nullptr)) sk_X509_push(p->chain, extra);
  ERR_clear_error();  // the end of the file reads as an error
  File kf(std::fopen(cfg_.key_file.c_str(), "r"));
  if (!kf) return make_error(ErrorCode::config, "server.tls.key_file: cannot read " + cfg_.key_file);
  p->key = PEM_read_PrivateKey(kf.get(), nullptr, nullptr, nullptr);
  if (!p->key)
    return make_error(ErrorCode::config, "server.tls.key_file: no unencrypted PEM private key in " + cfg_.key_file +
                                             " (" + openssl_error() + ")");
  if (X509_check_private_key(p->cert, p->key) != 1)
    return make_error(ErrorCode::config, "server.tls: key_file " + cfg_.key_file + " does not match cert_file " +
                                             cfg_.cert_file + " (" + openssl_error() + ")");
  std::lock_guard lock(mu_);
  current_ = std::move(p);
  return ok();
}

int TlsCredentials::on_certificate(SSL* ssl, void* self) {
  auto* me = static_cast<TlsCredentials*>(self);
  std::shared_ptr<Pair> p;
  {
    std::lock_guard lock(me->mu_);
    p = me->current_;
  }
  if (!p) return 0;
  // override=1: replaces what an earlier handshake on this SSL set; the SSL takes its own references.
  return SSL_use_cert_and_key(ssl, p->cert, p->key, p->chain, 1) == 1 ? 1 : 0;
}

bool TlsCredentials::configure(SSL_CTX& ctx) {
  const int floor = cfg_.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(&ctx, floor) != 1) return false;
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cert_cb(&ctx, &TlsCredentials::on_certificate, this);
  return true;
}

std::string TlsCredentials::describe() const {
  std::shared_ptr<Pair> p;
  {
    std::lock_guard lock(mu_);
    p = current_;
  }
  if (!p) return "none";
  char subject[256] = {0};
  X509_NAME_oneline(X509_get_subject_name(p->cert), subject, sizeof subject);
  std::string not_after = "?";
  if (BIO* b = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(b, X509_get0_notAfter(p->cert)) == 1) {
      char* data = nullptr;
      long n = BIO_get_mem_data(b, &data);
      if (n > 0) not_after.assign(data, static_cast<std::size_t>(n));
    }
    BIO_free(b);
  }
  return std::string("subject=\"") + subject + "\" not_after=\"" + not_after + "\"";
}

}  // namespace selfheal::app
