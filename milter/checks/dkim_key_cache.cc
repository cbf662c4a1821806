// dkim_key_cache.cc — parsed public keys for libopendkim (dkim_key_cache.h):
// the executable's d2i_PUBKEY_bio() and EVP_PKEY_new_raw_public_key() in
// front of OpenSSL's.
//
// Bad input: bytes that do not parse are OpenSSL's business (NULL and its
// error queue, never cached); no C++ exception crosses into C.
#include "dkim_key_cache.h"

#include <dlfcn.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

namespace legit::dkim {
namespace {

using D2i = EVP_PKEY* (*)(BIO*, EVP_PKEY**);
using RawNew = EVP_PKEY* (*)(int, ENGINE*, const unsigned char*, std::size_t);

struct Cache {
  std::mutex mu;
  // DER bytes (they start with 0x30, a SEQUENCE), or "raw <type>:" and the
  // raw key bytes -> one reference
  std::unordered_map<std::string, EVP_PKEY*> keys;
  std::atomic<std::uint64_t> hits{0}, parsed{0};
};

Cache& cache() {
  static auto* c = new Cache;  // never destroyed: verifications may run at exit
  return *c;
}

D2i openssl_d2i() {
  static const D2i real = reinterpret_cast<D2i>(dlsym(RTLD_NEXT, "d2i_PUBKEY_bio"));
  return real;
}

RawNew openssl_raw() {
  static const RawNew real = reinterpret_cast<RawNew>(dlsym(RTLD_NEXT, "EVP_PKEY_new_raw_public_key"));
  return real;
}

EVP_PKEY* lookup(const std::string& der) {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mu);
  auto it = c.keys.find(der);
  if (it == c.keys.end() || EVP_PKEY_up_ref(it->second) != 1) return nullptr;
  return it->second;
}

void keep(std::string der, EVP_PKEY* key) {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mu);
  if (c.keys.size() >= kMaxKeys) {
    for (auto& [bytes, k] : c.keys) EVP_PKEY_free(k);
    c.keys.clear();
  }
  if (c.keys.count(der) || EVP_PKEY_up_ref(key) != 1) return;
  c.keys.emplace(std::move(der), key);
}

// A key OpenSSL just made from `id`'s bytes: counted, and kept when there is
// one and `whole` (no memory for the entry: not kept). Returns the key.
EVP_PKEY* parsed(std::string id, EVP_PKEY* key, bool whole = true) {
  cache().parsed.fetch_add(1, std::memory_order_relaxed);
  if (key != nullptr && whole) {
    try {
      keep(std::move(id), key);
    } catch (...) {
    }
  }
  return key;
}

EVP_PKEY* cached_d2i(BIO* bp, EVP_PKEY** a, D2i real) {
  char* data = nullptr;
  long len = 0;
  if (a == nullptr && bp != nullptr && BIO_method_type(bp) == BIO_TYPE_MEM)
    len = BIO_get_mem_data(bp, &data);
  if (len <= 0 || data == nullptr || static_cast<std::size_t>(len) > kMaxKeyBytes) return real(bp, a);
  std::string der(data, static_cast<std::size_t>(len));
  if (EVP_PKEY* hit = lookup(der)) {
    char sink[kMaxKeyBytes];
    (void)BIO_read(bp, sink, static_cast<int>(len));  // read as far as the real call does
    cache().hits.fetch_add(1, std::memory_order_relaxed);
    return hit;
  }
  EVP_PKEY* key = real(bp, nullptr);
  return parsed(std::move(der), key, BIO_pending(bp) == 0);  // kept if it read one whole key
}

EVP_PKEY* cached_raw(int type, ENGINE* e, const unsigned char* pub, std::size_t len, RawNew real) {
  if (e != nullptr || pub == nullptr || len == 0 || len > kMaxKeyBytes) return real(type, e, pub, len);
  std::string id = "raw " + std::to_string(type) + ":";
  id.append(reinterpret_cast<const char*>(pub), len);
  if (EVP_PKEY* hit = lookup(id)) {
    cache().hits.fetch_add(1, std::memory_order_relaxed);
    return hit;
  }
  return parsed(std::move(id), real(type, e, pub, len));
}

}  // namespace

KeyCacheStats key_cache_stats() {
  Cache& c = cache();
  KeyCacheStats s;
  s.hits = c.hits.load(std::memory_order_relaxed);
  s.parsed = c.parsed.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> g(c.mu);
    s.keys = c.keys.size();
  }
  s.active = dlsym(RTLD_DEFAULT, "d2i_PUBKEY_bio") == reinterpret_cast<void*>(&::d2i_PUBKEY_bio) &&
             dlsym(RTLD_DEFAULT, "EVP_PKEY_new_raw_public_key") ==
                 reinterpret_cast<void*>(&::EVP_PKEY_new_raw_public_key);
  return s;
}

}  // namespace legit::dkim

// The interposed OpenSSL entry point (see dkim_key_cache.h). noexcept: a
// failure to allocate the cache key falls back to OpenSSL's own call.
extern "C" EVP_PKEY* d2i_PUBKEY_bio(BIO* bp, EVP_PKEY** a) {
  legit::dkim::D2i real = legit::dkim::openssl_d2i();
  if (real == nullptr) return nullptr;  // no libcrypto: cannot happen, we link it
  try {
    return legit::dkim::cached_d2i(bp, a, real);
  } catch (...) {
    return real(bp, a);
  }
}

// The other interposed entry point: libopendkim makes an ed25519 key from the
// 32 bytes of p= with it for every signature it checks (OpenSSL 3.0 fetches
// the key manager under its global lock each time: 8 µs a message, more
// under concurrency).
extern "C" EVP_PKEY* EVP_PKEY_new_raw_public_key(int type, ENGINE* e, const unsigned char* pub, size_t len) {
  legit::dkim::RawNew real = legit::dkim::openssl_raw();
  if (real == nullptr) return nullptr;  // no libcrypto: cannot happen, we link it
  try {
    return legit::dkim::cached_raw(type, e, pub, len, real);
  } catch (...) {
    return real(type, e, pub, len);
  }
}
