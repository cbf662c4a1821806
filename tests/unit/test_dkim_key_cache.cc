// test_dkim_key_cache.cc — the parsed-key cache in front of OpenSSL's
// d2i_PUBKEY_bio (milter/checks/dkim_key_cache.h): it is the one this
// process calls; the same DER bytes give an equal key from the cache, the
// BIO read to its end as OpenSSL reads it; bytes that do not parse, a
// caller passing `a`, and other BIOs go to OpenSSL unchanged; and an
// RSA-signed message (signed here with libopendkim and a fresh key) verifies
// the same with the key parsed and with the key cached: pass, then fail when
// tampered, then fail with another key of the same name. ed25519 keys made
// from raw bytes (EVP_PKEY_new_raw_public_key) are kept the same way.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

extern "C" {
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool
}

#include <memory>
#include <string>

#include "../../milter/checks/dkim_key_cache.h"
#include "legit/headers.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

std::string der_of(EVP_PKEY* k) {
  unsigned char* out = nullptr;
  int n = i2d_PUBKEY(k, &out);
  std::string der(reinterpret_cast<char*>(out), n > 0 ? static_cast<std::size_t>(n) : 0);
  OPENSSL_free(out);
  return der;
}

Pkey parse(const std::string& der, std::size_t* left = nullptr) {
  Bio bio(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  Pkey k(d2i_PUBKEY_bio(bio.get(), nullptr));
  if (left) *left = static_cast<std::size_t>(BIO_pending(bio.get()));
  return k;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A DKIM-Signature value (Postfix style: no leading space) over the headers
// run_message() sends and its body, rsa-sha256 relaxed/relaxed, selector rk.
std::string sign(EVP_PKEY* key, const Msg& m) {
  Bio mem(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(mem.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* pem = nullptr;
  long n = BIO_get_mem_data(mem.get(), &pem);
  std::string secret(pem, static_cast<std::size_t>(n));
  DKIM_LIB* lib = dkim_init(nullptr, nullptr);
  DKIM_STAT st;
  DKIM* d = dkim_sign(lib, reinterpret_cast<const unsigned char*>("t"), nullptr,
                      reinterpret_cast<dkim_sigkey_t>(secret.data()), reinterpret_cast<const unsigned char*>("rk"),
                      reinterpret_cast<const unsigned char*>("unit.test"), DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
                      DKIM_SIGN_RSASHA256, -1, &st);
  std::string sig;
  if (d != nullptr) {
    dkim_set_margin(d, 0);
    for (const auto& [name, value] : m.headers) {
      std::string line = name + ": " + value;
      dkim_header(d, reinterpret_cast<u_char*>(line.data()), line.size());
    }
    dkim_eoh(d);
    std::string body = "hello\r\n";
    dkim_body(d, reinterpret_cast<u_char*>(body.data()), body.size());
    unsigned char buf[4096];
    if (dkim_eom(d, nullptr) == DKIM_STAT_OK && dkim_getsighdr(d, buf, sizeof buf, 0) == DKIM_STAT_OK)
      sig = reinterpret_cast<char*>(buf);
    dkim_free(d);
  }
  dkim_close(lib);
  return sig;
}

std::string dkim_result(FakeResolver& dns, const Msg& m) {
  Config cfg = make_config();
  Engine engine(cfg, dns, {check_info("dkim")});
  return result_of(run_message(engine, m), "dkim");
}

}  // namespace

TEST_CASE("dkim key cache: libopendkim's d2i_PUBKEY_bio is ours; same bytes, equal key, no parse") {
  REQUIRE(dkim::key_cache_stats().active);
  Pkey gen(EVP_RSA_gen(2048));
  REQUIRE(gen);
  std::string der = der_of(gen.get());
  auto s0 = dkim::key_cache_stats();
  std::size_t left = 1;
  Pkey first = parse(der, &left);
  REQUIRE(first);
  CHECK(left == 0);
  auto s1 = dkim::key_cache_stats();
  CHECK(s1.parsed == s0.parsed + 1);
  Pkey second = parse(der, &left);
  REQUIRE(second);
  CHECK(left == 0);  // read to its end, as OpenSSL's own call reads it
  auto s2 = dkim::key_cache_stats();
  CHECK(s2.hits == s1.hits + 1);
  CHECK(s2.parsed == s1.parsed);
  CHECK(EVP_PKEY_eq(first.get(), gen.get()) == 1);
  CHECK(EVP_PKEY_eq(second.get(), gen.get()) == 1);
  CHECK(EVP_PKEY_get_base_id(second.get()) == EVP_PKEY_RSA);
  CHECK(EVP_PKEY_get_bits(second.get()) == 2048);

  // Not parsed, never kept: asked again, parsed again.
  std::string junk = der;
  junk[der.size() / 2] ^= 0x55;
  junk.resize(der.size() - 7);
  CHECK_FALSE(parse(junk));
  CHECK_FALSE(parse(junk));
  CHECK(dkim::key_cache_stats().hits == s2.hits);
  // A caller passing `a` gets OpenSSL's behaviour (no cache).
  Bio bio(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  EVP_PKEY* into = nullptr;
  EVP_PKEY* got = d2i_PUBKEY_bio(bio.get(), &into);
  CHECK(got != nullptr);
  CHECK(got == into);
  EVP_PKEY_free(got);
  CHECK(dkim::key_cache_stats().hits == s2.hits);
  CHECK(dkim::key_cache_stats().keys <= dkim::kMaxKeys);
}

TEST_CASE("dkim key cache: an RSA signature verifies the same with the key parsed and cached") {
  Pkey key(EVP_RSA_gen(2048)), other(EVP_RSA_gen(2048));
  REQUIRE(key);
  REQUIRE(other);
  Msg m;
  m.ip = "203.0.113.200";
  m.headers = {{"From", "Alice <alice@unit.test>"}, {"To", "bob@example.net"}, {"Subject", "Cached key"}};
  std::string sig = sign(key.get(), m);
  REQUIRE_FALSE(sig.empty());
  REQUIRE(sig.rfind("v=1; a=rsa-sha256;", 0) == 0);  // the value, without the field name
  Msg signed_msg = m;
  signed_msg.headers.insert(signed_msg.headers.begin(), {"DKIM-Signature", sig});
  FakeResolver dns;
  dns.add("rk._domainkey.unit.test", DnsType::TXT, {"v=DKIM1; k=rsa; p=" + base64(der_of(key.get()))});
  auto before = dkim::key_cache_stats();
  CHECK(dkim_result(dns, signed_msg) == "pass");
  CHECK(dkim_result(dns, signed_msg) == "pass");
  auto after = dkim::key_cache_stats();
  CHECK(after.hits >= before.hits + 1);  // the second verification used the kept key
  Msg tampered = signed_msg;
  tampered.headers.back().second = "Cached kez";
  CHECK(dkim_result(dns, tampered) == "fail");
  FakeResolver wrong;
  wrong.add("rk._domainkey.unit.test", DnsType::TXT, {"v=DKIM1; k=rsa; p=" + base64(der_of(other.get()))});
  CHECK(dkim_result(wrong, signed_msg) == "fail");
  CHECK(dkim_result(wrong, signed_msg) == "fail");
  CHECK(dkim_result(dns, signed_msg) == "pass");
}

namespace {

bool ed25519_verifies(EVP_PKEY* pub, const std::string& sig, const std::string& data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pub) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

}  // namespace

TEST_CASE("dkim key cache: ed25519 raw keys made once; the kept key verifies the same") {
  Pkey gen(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  REQUIRE(gen);
  unsigned char raw[32];
  std::size_t len = sizeof raw;
  REQUIRE(EVP_PKEY_get_raw_public_key(gen.get(), raw, &len) == 1);
  REQUIRE(len == 32);
  std::string data = "the canonicalised headers";
  std::string sig(64, '\0');
  std::size_t siglen = sig.size();
  {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, gen.get()) == 1);
    REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &siglen,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  }
  auto s0 = dkim::key_cache_stats();
  Pkey first(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, len));
  REQUIRE(first);
  auto s1 = dkim::key_cache_stats();
  CHECK(s1.parsed == s0.parsed + 1);
  Pkey second(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, len));
  REQUIRE(second);
  auto s2 = dkim::key_cache_stats();
  CHECK(s2.hits == s1.hits + 1);
  CHECK(s2.parsed == s1.parsed);
  CHECK(EVP_PKEY_eq(second.get(), gen.get()) == 1);
  CHECK(EVP_PKEY_get_base_id(second.get()) == EVP_PKEY_ED25519);
  CHECK(ed25519_verifies(first.get(), sig, data));
  CHECK(ed25519_verifies(second.get(), sig, data));
  CHECK_FALSE(ed25519_verifies(second.get(), sig, data + "!"));
  // The same bytes as another type are another key: X25519 is not ED25519.
  Pkey x(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, raw, len));
  REQUIRE(x);
  CHECK(EVP_PKEY_get_base_id(x.get()) == EVP_PKEY_X25519);
  // Bytes OpenSSL refuses (a short key) are never kept: refused each time.
  CHECK_FALSE(Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, 31)));
  CHECK_FALSE(Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, 31)));
  auto s3 = dkim::key_cache_stats();
  CHECK(s3.hits == s2.hits);
  // Another key of the same type does not verify the signature.
  Pkey other_gen(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  unsigned char other_raw[32];
  std::size_t other_len = sizeof other_raw;
  REQUIRE(EVP_PKEY_get_raw_public_key(other_gen.get(), other_raw, &other_len) == 1);
  Pkey other(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, other_raw, other_len));
  REQUIRE(other);
  CHECK_FALSE(ed25519_verifies(other.get(), sig, data));
}
