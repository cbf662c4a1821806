// dkim_verifier.cc — libopendkim driven one message at a time (dkim_verifier.h).
//
// Result words per signature (RFC 8601 §2.7.1):
//   pass       header signature and body hash verify
//   fail       signature or body hash mismatch, or signature expired
//   neutral    header signature fine but the body was not (fully) fed to
//              us (dkim-max-body-bytes), or an error libopendkim cannot name
//   policy     verifies, but not acceptable here: rsa-sha1 (RFC 8301 §3.1)
//              or an RSA key under 1024 bits (RFC 8301 §3.2)
//   temperror  the key lookup failed temporarily (libopendkim itself only
//              sees DKIM_CBSTAT_TRYAGAIN and reports a plain bad signature)
//   permerror  malformed signature, no key, revoked or unusable key, more
//              than one key record for the selector (RFC 6376 §3.6.2.2)
#include "dkim_verifier.h"
#include "dkim_key_cache.h"

#include <sys/types.h>

#include <cstring>
#include <stdexcept>

extern "C" {
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool
}

#include "legit/headers.h"
#include "../core/names.h"

namespace legit::dkim {
namespace {

struct LibDeleter {
  void operator()(DKIM_LIB* l) const { dkim_close(l); }
};
struct MsgDeleter {
  void operator()(DKIM* d) const { dkim_free(d); }
};

DKIM_CBSTAT key_lookup(DKIM* d, DKIM_SIGINFO* sig, u_char* buf, size_t buflen);
DKIM_CBSTAT prescreen(DKIM* d, DKIM_SIGINFO** sigs, int nsigs);

// The one library handle: configured here, before any thread can use it.
DKIM_LIB* lib() {
  static const std::unique_ptr<DKIM_LIB, LibDeleter> handle = [] {
    std::unique_ptr<DKIM_LIB, LibDeleter> l(dkim_init(nullptr, nullptr));
    if (!l) throw std::runtime_error("libopendkim: dkim_init failed");
    unsigned int flags = DKIM_LIBFLAGS_DELAYSIGPROC | DKIM_LIBFLAGS_BADSIGHANDLES;
    dkim_options(l.get(), DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    dkim_set_key_lookup(l.get(), key_lookup);
    dkim_set_prescreen(l.get(), prescreen);
    (void)key_cache_stats();  // links dkim_key_cache.cc in: its d2i_PUBKEY_bio serves libopendkim
    return l;
  }();
  return handle.get();
}

std::string text(const u_char* s) { return s ? std::string(reinterpret_cast<const char*>(s)) : ""; }

std::string tag(DKIM_SIGINFO* sig, const char* name) {
  return text(dkim_sig_gettagvalue(sig, false, reinterpret_cast<u_char*>(const_cast<char*>(name))));
}

}  // namespace

struct Verifier::Handle {
  KeyFetch fetch;
  std::size_t max_sigs;
  std::unique_ptr<DKIM, MsgDeleter> dkim;
  std::map<std::string, DnsStatus> key_status;  // "<s>._domainkey.<d>" -> outcome
  std::map<std::string, std::string> key_why;    // why a key record was unusable, when known
  bool eoh_done = false;
  bool unusable = false;  // libopendkim refused the message (e.g. no From)
  std::string unusable_why;
};

namespace {

Verifier::Handle* handle_of(DKIM* d) { return static_cast<Verifier::Handle*>(dkim_get_user_context(d)); }

// True when a TXT record is a tag list (RFC 6376 §3.2) with a "p" tag: a
// DKIM key record, usable or not.
bool has_p_tag(const std::string& rec) {
  std::size_t pos = 0;
  while (pos <= rec.size()) {
    std::size_t semi = rec.find(';', pos);
    std::string_view t(rec.data() + pos, (semi == std::string::npos ? rec.size() : semi) - pos);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\r' || t.front() == '\n'))
      t.remove_prefix(1);
    if (!t.empty() && t[0] == 'p') {
      t.remove_prefix(1);
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
      if (!t.empty() && t.front() == '=') return true;
    }
    if (semi == std::string::npos) break;
    pos = semi + 1;
  }
  return false;
}

// The DKIM key record among the TXT records of one name. RFC 6376 §3.6.2.2:
// the records of a selector MUST be unique, several give "undefined"
// results; we decide deterministically, whatever order the DNS returns:
// records without a "p=" tag are not key records and are ignored; exactly
// one key record is used; none (only other records) is taken as the key
// (libopendkim then refuses it: permerror); two or more different key
// records are ambiguous: nullptr with *ambiguous set (permerror).
const std::string* pick_key(const std::vector<std::string>& records, bool* ambiguous) {
  const std::string* key = nullptr;
  *ambiguous = false;
  for (const auto& r : records) {
    if (!has_p_tag(r)) continue;
    if (key != nullptr && *key != r) {
      *ambiguous = true;
      return nullptr;
    }
    key = &r;
  }
  if (key == nullptr && !records.empty()) return &records.front();
  return key;
}

DKIM_CBSTAT key_lookup(DKIM* d, DKIM_SIGINFO* sig, u_char* buf, size_t buflen) {
  auto* h = handle_of(d);
  std::string sel = text(dkim_sig_getselector(sig)), dom = text(dkim_sig_getdomain(sig));
  if (!h || sel.empty() || dom.empty()) return DKIM_CBSTAT_NOTFOUND;
  DnsAnswer a = h->fetch(sel, dom);
  h->key_status[lower(sel + "._domainkey." + dom)] = a.status;
  if (a.status == DnsStatus::temperror) return DKIM_CBSTAT_TRYAGAIN;
  bool ambiguous = false;
  const std::string* key = a.ok() ? pick_key(a.records, &ambiguous) : nullptr;
  if (ambiguous) {
    h->key_status[lower(sel + "._domainkey." + dom)] = DnsStatus::malformed;
    h->key_why[lower(sel + "._domainkey." + dom)] =
        "multiple key records for the selector (RFC 6376 3.6.2.2)";
    return DKIM_CBSTAT_ERROR;
  }
  if (!key) return DKIM_CBSTAT_NOTFOUND;
  if (key->size() >= buflen || key->find('\0') != std::string::npos) {
    h->key_status[lower(sel + "._domainkey." + dom)] = DnsStatus::malformed;
    return DKIM_CBSTAT_ERROR;
  }
  std::memcpy(buf, key->c_str(), key->size() + 1);
  return DKIM_CBSTAT_CONTINUE;
}

DKIM_CBSTAT prescreen(DKIM* d, DKIM_SIGINFO** sigs, int nsigs) {
  auto* h = handle_of(d);
  for (int i = 0; h && i < nsigs; i++)
    if (static_cast<std::size_t>(i) >= h->max_sigs) dkim_sig_ignore(sigs[i]);
  return DKIM_CBSTAT_CONTINUE;
}

// Result word and reason from libopendkim's signature error code.
std::pair<const char*, std::string> from_error(int err) {
  std::string why = dkim_sig_geterrorstr(err) ? dkim_sig_geterrorstr(err) : "unknown error";
  switch (err) {
    case DKIM_SIGERROR_BADSIG:
    case DKIM_SIGERROR_EXPIRED:
    case DKIM_SIGERROR_FUTURE:
    case DKIM_SIGERROR_TIMESTAMPS:
      return {"fail", why};
    case DKIM_SIGERROR_KEYTOOSMALL:
      return {"policy", why};
    case DKIM_SIGERROR_KEYFAIL:
      return {"temperror", why};
    case DKIM_SIGERROR_UNKNOWN:
      return {"neutral", why};
    default:
      return {"permerror", why};
  }
}

// True when the body hash was computed over less than the signature covers
// because we stopped feeding the body.
bool cut_short(DKIM* d, DKIM_SIGINFO* sig) {
  ssize_t msglen = 0, canonlen = 0, signlen = 0;
  if (dkim_sig_getcanonlen(d, sig, &msglen, &canonlen, &signlen) != DKIM_STAT_OK) return true;
  return signlen < 0 || canonlen < signlen;
}

void classify(DKIM* d, DKIM_SIGINFO* sig, const Verifier::Handle& h, bool truncated, SigResult& r) {
  unsigned int flags = dkim_sig_getflags(sig);
  auto ks = h.key_status.find(lower(r.selector + "._domainkey." + r.domain));
  if (ks != h.key_status.end() && ks->second == DnsStatus::temperror) {
    r.result = "temperror";
    r.why = "key lookup failed temporarily";
  } else if (ks != h.key_status.end() && ks->second == DnsStatus::malformed) {
    r.result = "permerror";
    auto why = h.key_why.find(ks->first);
    r.why = why != h.key_why.end() ? why->second : "key record unusable";
  } else if ((flags & DKIM_SIGFLAG_PASSED) && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
    dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
    dkim_sig_getsignalg(sig, &alg);
    r.result = alg == DKIM_SIGN_RSASHA1 ? "policy" : "pass";
    if (alg == DKIM_SIGN_RSASHA1) r.why = "rsa-sha1 is not accepted (RFC 8301)";
  } else if ((flags & DKIM_SIGFLAG_PASSED) && truncated && cut_short(d, sig)) {
    r.result = "neutral";
    r.why = "body too large to verify";
  } else if (flags & DKIM_SIGFLAG_PASSED) {
    r.result = "fail";
    r.why = "body hash mismatch";
  } else if (!(flags & DKIM_SIGFLAG_PROCESSED) && dkim_sig_geterror(sig) == DKIM_SIGERROR_OK) {
    r.result = "neutral";
    r.why = "signature not processed";
  } else {
    auto [word, why] = from_error(dkim_sig_geterror(sig));
    r.result = word;
    r.why = why;
  }
}

SigResult describe(DKIM* d, DKIM_SIGINFO* sig, const Verifier::Handle& h, bool truncated) {
  SigResult r;
  r.domain = text(dkim_sig_getdomain(sig));
  r.selector = text(dkim_sig_getselector(sig));
  r.algorithm = tag(sig, "a");
  r.b_prefix = tag(sig, "b").substr(0, 8);
  unsigned int bits = 0;
  if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK) r.key_bits = bits;
  classify(d, sig, h, truncated, r);
  return r;
}

}  // namespace

std::string header_line(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ':';
  if (value.empty() || (value[0] != '\t' && value[0] != '\n' && value[0] != '\r')) out += ' ';
  for (char c : value) {
    if (c == '\r') continue;
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

Verifier::Verifier(KeyFetch fetch, std::size_t max_sigs) : h_(std::make_unique<Handle>()) {
  h_->fetch = std::move(fetch);
  h_->max_sigs = max_sigs;
  DKIM_STAT st = DKIM_STAT_OK;
  h_->dkim.reset(dkim_verify(lib(), reinterpret_cast<const u_char*>("legit"), nullptr, &st));
  if (!h_->dkim) {
    h_->unusable = true;
    h_->unusable_why = "libopendkim could not start a verification";
    return;
  }
  dkim_set_user_context(h_->dkim.get(), h_.get());
}

Verifier::~Verifier() = default;

void Verifier::header(std::string_view name, std::string_view value) {
  if (h_->unusable || h_->eoh_done) return;
  std::string line = header_line(name, value);
  // A header libopendkim refuses (bad syntax) is simply not part of any signature.
  dkim_header(h_->dkim.get(), reinterpret_cast<u_char*>(line.data()), line.size());
}

void Verifier::end_of_headers() {
  if (h_->unusable || h_->eoh_done) return;
  h_->eoh_done = true;
  DKIM_STAT st = dkim_eoh(h_->dkim.get());
  if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG) {
    h_->unusable = true;
    const char* s = dkim_geterror(h_->dkim.get());
    h_->unusable_why = s && *s ? s : dkim_getresultstr(st);
  }
}

void Verifier::body(std::string_view chunk) {
  if (h_->unusable || !h_->eoh_done || chunk.empty()) return;
  // dkim_body takes a non-const pointer but only reads the buffer.
  auto* p = reinterpret_cast<u_char*>(const_cast<char*>(chunk.data()));
  dkim_body(h_->dkim.get(), p, chunk.size());
}

bool Verifier::body_needed() const {
  if (!h_->eoh_done) return true;
  if (h_->unusable || !h_->dkim) return false;
  return dkim_minbody(h_->dkim.get()) > 0;  // bytes still wanted by the neediest signature
}

std::vector<SigResult> Verifier::finish(bool body_truncated) {
  if (!h_->eoh_done) end_of_headers();
  std::vector<SigResult> out;
  if (!h_->dkim) return out;
  if (!h_->unusable) {
    bool testkey = false;
    dkim_eom(h_->dkim.get(), &testkey);
  }
  DKIM_SIGINFO** sigs = nullptr;
  int nsigs = 0;
  if (dkim_getsiglist(h_->dkim.get(), &sigs, &nsigs) != DKIM_STAT_OK) return out;
  for (int i = 0; i < nsigs && static_cast<std::size_t>(i) < h_->max_sigs; i++) {
    if (dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) continue;
    out.push_back(describe(h_->dkim.get(), sigs[i], *h_, body_truncated));
    if (h_->unusable) {
      out.back().result = "permerror";
      out.back().why = h_->unusable_why;
    }
  }
  return out;
}

}  // namespace legit::dkim
