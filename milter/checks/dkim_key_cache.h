// dkim_key_cache.h — the public keys libopendkim verifies with (RSA and
// ed25519), parsed once and kept for the next message that uses the same key.
//
// Why: libopendkim turns the p= of an RSA key into an EVP_PKEY with
// d2i_PUBKEY_bio() for every signature it checks. With OpenSSL 3.0 that call
// builds a decoder context each time (OSSL_DECODER_CTX_new_for_pkey): ~100 µs
// per RSA-signed message on the bench machine, more than RSA_verify itself
// (perf under bench/miltergen: ASN1_d2i_bio 5.9 % of legit-milter's CPU,
// RSA_verify 1.9 %). libopendkim has no hook for a parsed key.
//
// How: this unit defines d2i_PUBKEY_bio() in the executable. The dynamic
// linker binds libopendkim's call to it (the executable comes first in the
// lookup scope; an unversioned definition satisfies the versioned
// reference). It answers from the cache for a memory BIO holding exactly the
// DER bytes of a key seen before (the BIO is read to its end, as the real
// call reads it), else calls OpenSSL's own (dlsym RTLD_NEXT) and keeps a
// reference to a key it parsed from the whole of such a BIO. A call with
// `a` set, another kind of BIO, or bytes that do not parse goes to OpenSSL
// unchanged. The caller gets its own reference (EVP_PKEY_up_ref) and frees it
// as before; sharing a parsed public key between threads is what OpenSSL
// allows (reference counts and the legacy RSA copy are locked inside it).
// Bounded: at most kMaxKeys keys of at most kMaxKeyBytes DER bytes; when full
// the cache is emptied (keys in use stay alive through their own references).
// The verdict is OpenSSL's on the same key bytes: nothing is decided here.
//
// ed25519 the same way: libopendkim makes that key from the raw 32 bytes of
// p= with EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, ...), which
// OpenSSL 3.0 does by fetching the key manager under a global lock (8 µs
// per ed25519-signed message under bench/miltergen). This unit defines that
// function too: the same type and bytes without an ENGINE give a new
// reference to the key made the first time; anything else goes to OpenSSL.
// Both kinds share one cache and its bounds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace legit::dkim {

constexpr std::size_t kMaxKeys = 256;
constexpr std::size_t kMaxKeyBytes = 4096;

struct KeyCacheStats {
  std::uint64_t hits = 0;    // answered from the cache
  std::uint64_t parsed = 0;  // parsed by OpenSSL (and kept when it qualified)
  std::size_t keys = 0;      // held now
  bool active = false;       // d2i_PUBKEY_bio and EVP_PKEY_new_raw_public_key
                             // of this process are this unit's
};

KeyCacheStats key_cache_stats();

}  // namespace legit::dkim
