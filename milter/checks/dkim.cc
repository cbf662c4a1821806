// dkim.cc — RFC 6376 DKIM signatures on the message, verified with
// libopendkim (dkim_verifier.h), keys fetched through the session resolver.
//
// The key lookup of "<s>._domainkey.<d>" starts in on_header, the moment a
// DKIM-Signature arrives (minimal d=/s= tag parse here), and runs while the
// rest of the message streams in; libopendkim's key callback at end-of-data
// takes the prefetched answer. Headers and body are fed as they arrive.
// Limits, applied as the headers arrive, before libopendkim sees them (its
// dkim_eoh costs grow with the square of the signatures it holds):
// dkim-max-signatures (later DKIM-Signature fields are counted, never given
// to libopendkim nor looked up); dkim-max-header-bytes and
// dkim-max-header-fields (past either, nothing more of the message goes to
// libopendkim and the result is "neutral: header section too large to
// verify", since a field past the cut may be one a signature covers); and
// dkim-max-body-bytes (body bytes beyond it are not hashed; a signature that
// would need them is "neutral: body too large to verify"). The cost of a
// message is then linear in its size and bounded in memory.
//
// One finding: the most favourable signature's result scores (so several
// signatures never add up), the detail names every signature; A-R gets one
// dkim= entry per signature (header.d/s/a/b) and "dkim=none" when unsigned.
// Published to Session::msg.auth.dkim for DMARC. Never throws on bad input:
// a malformed DKIM-Signature is that signature's permerror.
#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <string>

#include "dkim_verifier.h"
#include "legit/check.h"
#include "legit/headers.h"
#include "../core/names.h"

namespace legit {
namespace {

// Value of one tag in a tag=value list, folding white space removed
// (RFC 6376 §3.2); "" when absent.
std::string tag_value(std::string_view list, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t end = std::min(list.find(';', pos), list.size());
    std::string_view item = list.substr(pos, end - pos);
    auto eq = item.find('=');
    std::string key, val;
    for (char c : item.substr(0, eq == std::string_view::npos ? item.size() : eq))
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') key += c;
    if (eq != std::string_view::npos && key == name) {
      for (char c : item.substr(eq + 1))
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') val += c;
      return val;
    }
    pos = end + 1;
  }
  return "";
}

// Most favourable first: a pass anywhere wins; a DNS failure is not evidence.
int rank(const std::string& result) {
  static const char* const order[] = {"pass", "temperror", "neutral", "policy", "permerror", "fail"};
  for (int i = 0; i < 6; i++)
    if (result == order[i]) return i;
  return 6;
}

std::string describe(const dkim::SigResult& r) {
  std::string d = "d=" + quote_untrusted(r.domain, 64) + " s=" + quote_untrusted(r.selector, 64);
  if (!r.algorithm.empty()) d += " a=" + quote_untrusted(r.algorithm, 32);
  if (r.key_bits) d += " " + std::to_string(r.key_bits) + "-bit key";
  d += ": " + r.result;
  if (!r.why.empty()) d += " (" + r.why + ")";
  return d;
}

ArEntry ar_entry(const dkim::SigResult& r) {
  ArEntry a{"dkim", r.result, r.result == "pass" ? "" : r.why, {}};
  const std::pair<const char*, const std::string*> props[] = {
      {"header.d", &r.domain}, {"header.s", &r.selector}, {"header.a", &r.algorithm}, {"header.b", &r.b_prefix}};
  for (const auto& [k, v] : props)
    if (!v->empty()) a.props.emplace_back(k, *v);
  return a;
}

// The finding when the header section went past the limits: nothing verified.
Finding too_large(std::size_t total, const std::string& why) {
  if (total == 0) return {"dkim", "none", "message is not signed (" + why + ")", {{"dkim", "none", "", {}}}};
  std::string r = "header section too large to verify";
  return {"dkim", "neutral", std::to_string(total) + " signature(s) not evaluated: " + r + " (" + why + ")",
          {{"dkim", "neutral", r, {}}}};
}

Finding report(const std::vector<dkim::SigResult>& sigs, std::size_t total) {
  if (sigs.empty())
    return {"dkim", "none", "message is not signed", {{"dkim", "none", "", {}}}};
  Finding f{"dkim", "", "", {}};
  auto best = std::min_element(sigs.begin(), sigs.end(),
                               [](const auto& a, const auto& b) { return rank(a.result) < rank(b.result); });
  f.result = best->result;
  for (const auto& r : sigs) {
    f.detail += (f.detail.empty() ? "" : "; ") + describe(r);
    f.ar.push_back(ar_entry(r));
  }
  if (total > sigs.size())
    f.detail += "; " + std::to_string(total - sigs.size()) + " more signature(s) not evaluated";
  return f;
}

class Dkim : public Check {
 public:
  explicit Dkim(const Config& cfg)
      : max_sigs_(static_cast<std::size_t>(cfg.num("dkim-max-signatures"))),
        max_body_(static_cast<std::size_t>(cfg.num("dkim-max-body-bytes"))),
        max_header_bytes_(static_cast<std::size_t>(cfg.num("dkim-max-header-bytes"))),
        max_header_fields_(static_cast<std::size_t>(cfg.num("dkim-max-header-fields"))) {}

  void on_mail(Session&) override {
    verifier_.reset();
    prefetched_.clear();
    signatures_ = 0;
    body_fed_ = header_bytes_ = header_fields_ = 0;
    truncated_ = false;
    too_large_.clear();
  }

  void on_header(Session& s, std::string_view name, std::string_view value) override {
    bool sig = iequals(name, "DKIM-Signature");
    if (sig) ++signatures_;
    if (!too_large_.empty() || (sig && signatures_ > max_sigs_)) return;
    header_bytes_ += name.size() + value.size() + 3;  // "Name: value\r\n" less the folds
    if (header_bytes_ > max_header_bytes_ || ++header_fields_ > max_header_fields_) {
      too_large_ = header_bytes_ > max_header_bytes_
                       ? "over " + std::to_string(max_header_bytes_) + " bytes of header"
                       : "over " + std::to_string(max_header_fields_) + " header fields";
      verifier_.reset();  // frees what libopendkim holds; nothing more goes to it
      return;
    }
    if (!verifier_) start(s);
    if (sig) prefetch(s, value);
    verifier_->header(name, value);
  }

  void on_eoh(Session& s) override {
    if (!too_large_.empty()) return;
    if (!verifier_) start(s);
    verifier_->end_of_headers();
  }

  void on_body(Session&, std::string_view chunk) override {
    if (!verifier_ || !too_large_.empty()) return;
    if (max_body_ && body_fed_ + chunk.size() > max_body_) {
      truncated_ = true;
      chunk = chunk.substr(0, max_body_ - body_fed_);
    }
    body_fed_ += chunk.size();
    verifier_->body(chunk);
  }

  // Past dkim-max-body-bytes nothing more is hashed; before it, only what
  // libopendkim's signatures still cover (an l= tag may end them early).
  bool wants_body(const Session&) const override {
    return verifier_ && signatures_ > 0 && !truncated_ && verifier_->body_needed();
  }

  std::vector<Finding> finish(Session& s) override {
    if (!too_large_.empty()) return {too_large(signatures_, too_large_)};
    if (!verifier_) start(s);
    auto sigs = verifier_->finish(truncated_);
    verifier_.reset();  // the key callback must not outlive this message
    for (const auto& r : sigs) s.msg.auth.dkim.push_back({normalize_name(r.domain), r.selector, r.result});
    return {report(sigs, signatures_)};
  }

 private:
  static std::string key_name(std::string_view sel, std::string_view dom) {
    return lower(sel) + "._domainkey." + normalize_name(dom);
  }

  void start(Session& s) {
    Session* sp = &s;
    verifier_ = std::make_unique<dkim::Verifier>(
        [this, sp](const std::string& sel, const std::string& dom) { return fetch(*sp, sel, dom); }, max_sigs_);
  }

  void prefetch(Session& s, std::string_view value) {
    std::string d = tag_value(value, "d"), sel = tag_value(value, "s");
    if (d.empty() || sel.empty()) return;  // libopendkim reports the syntax error
    std::string name = key_name(sel, d);
    if (!prefetched_.count(name)) prefetched_.emplace(name, s.resolver.lookup(name, DnsType::TXT));
  }

  DnsAnswer fetch(Session& s, const std::string& sel, const std::string& dom) {
    std::string name = key_name(sel, dom);
    auto it = prefetched_.find(name);
    if (it == prefetched_.end()) it = prefetched_.emplace(name, s.resolver.lookup(name, DnsType::TXT)).first;
    return it->second.get();
  }

  std::size_t max_sigs_, max_body_, max_header_bytes_, max_header_fields_;
  std::unique_ptr<dkim::Verifier> verifier_;
  std::map<std::string, DnsLookup> prefetched_;
  std::size_t signatures_ = 0, body_fed_ = 0, header_bytes_ = 0, header_fields_ = 0;
  bool truncated_ = false;
  std::string too_large_;  // why the header section went past the limits ("" = it did not)
};

// A whole number within [lo, hi].
std::string check_count(const std::string& v, double lo, double hi) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || d != static_cast<long long>(d) || d < lo || d > hi)
    return "is not a whole number from " + std::to_string(static_cast<long long>(lo)) + " to " +
           std::to_string(static_cast<long long>(hi));
  return "";
}

}  // namespace

CheckInfo dkim_check_info() {
  return {
      "dkim",
      "DKIM signatures (RFC 6376, ed25519 RFC 8463) verified with libopendkim",
      {
          {"pass", 1.0, "a domain vouches for the message; weak alone since anyone can sign their own "
                        "domain (rspamd R_DKIM_ALLOW -0.2, SpamAssassin DKIM_VALID -0.1); DMARC adds alignment"},
          {"fail", -0.5, "signature or body hash does not verify: forged or altered, but mailing-list "
                         "footers and subject tags and forwarders' rewrites break honest signatures every "
                         "day, and RFC 6376 §6.3 says to treat a failed signature like none (a forger gains "
                         "nothing by signing badly; DMARC judges the From domain). rspamd R_DKIM_REJECT 1.0, "
                         "SpamAssassin DKIM_INVALID 0.1. Was -1; corpus 3 legit (lists, a forwarder), 0 bad; "
                         "fit_points.py -0.5"},
          {"neutral", 0.0, "signature could not be evaluated (body too large, unknown error)"},
          {"policy", 0.0, "verifies but not acceptable: rsa-sha1 or an RSA key under 1024 bits (RFC 8301)"},
          {"temperror", 0.0, "key lookup failed temporarily: never evidence against the sender"},
          {"permerror", 0.0, "malformed signature, missing or revoked key: the signer's problem, "
                             "not evidence (rspamd R_DKIM_PERMFAIL 0)"},
          {"none", 0.0, "unsigned: common for small legitimate senders (no rspamd/SpamAssassin penalty)"},
      },
      {
          {"dkim-max-signatures", OptKind::number, "5",
           "DKIM signatures evaluated per message (key lookups are started for these only)", {},
           [](const std::string& v) { return check_count(v, 1, 50); }},
          {"dkim-max-header-bytes", OptKind::number, "1048576",
           "header bytes given to libopendkim per message; past it DKIM is neutral (header "
           "section too large)", {},
           [](const std::string& v) { return check_count(v, 1024, 1e9); }},
          {"dkim-max-header-fields", OptKind::number, "1000",
           "header fields given to libopendkim per message; past it DKIM is neutral (header "
           "section too large)", {},
           [](const std::string& v) { return check_count(v, 10, 1e6); }},
          {"dkim-max-body-bytes", OptKind::number, "10485760",
           "body bytes hashed per message; signatures needing more are neutral (0 = no limit)", {},
           [](const std::string& v) { return check_count(v, 0, 1e12); }},
      },
      [](const Config& cfg) { return std::make_unique<Dkim>(cfg); },
  };
}

}  // namespace legit
