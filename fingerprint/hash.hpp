#pragma once
// Canonical, versioned encoding and SHA-256 ids. The encoding is
//   "fp" <version> '\0' <domain> '\0' then per component: <tag> '\0' <len:decimal> ':' <bytes>
// so no two component lists share bytes. The id is the first 8 bytes of SHA-256, lowercase hex.

#include <string>
#include <string_view>

namespace selfheal::fingerprint {

/// Builds the canonical byte string that is hashed. Cheap, append-only.
class CanonicalEncoder {
 public:
  CanonicalEncoder(std::string_view domain, int version);
  void add(std::string_view tag, std::string_view value);
  const std::string& bytes() const { return bytes_; }
  void reset(std::string_view domain, int version);

 private:
  std::string bytes_;
};

/// SHA-256 with one reused EVP context. NOT thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  /// First 64 bits of SHA-256(data) as 16 lowercase hex chars.
  std::string short_id(std::string_view data);

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of ours
};

}  // namespace selfheal::fingerprint
