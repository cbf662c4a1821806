// dnsbl.cc — DNS block- and allowlists (RFC 5782): the client IP (reversed
// octets / IPv6 nibbles) and the registrable domain of the HELO name, the PTR
// name or the MAIL FROM domain, on the lists configured in dnsbl-lists and
// dnsbl-allow-lists (item syntax in dnsbl_list.h).
//
// No list configured (the default): no finding and no lookup at all. The
// lookups start in parallel as soon as their subject is known — IP lists at
// connect, HELO lists at HELO, sender lists at MAIL FROM, PTR lists at
// end-of-data (once the shared reverse DNS is in) — and finish() collects them.
// Results, one finding each: a hit per list and result word (listed-strong,
// listed, listed-weak, allowed-strong, allowed, allowed-weak; the word comes
// from the list's return-code mapping, its worth from [points]), temperror per
// list that failed or answered an error code (127.255.255.x), else one
// "clean". A hit's detail names the list, the codes and the list's TXT reason
// (fetched for hits only, in parallel). Hostile answers are quoted, never trusted.
// A listed-strong hit also sets the verdict floor dnsbl-strong-action (default
// quarantine): a spam operation authenticates its own domains, so SPF, DKIM
// and a clean PTR must not buy the listing back (snowshoe senders).
#include <string>
#include <vector>

#include "dnsbl_list.h"
#include "legit/check.h"
#include "legit/headers.h"

namespace legit {
namespace {

using dnsbl::ListSpec;
using dnsbl::Source;

constexpr const char* kCheck = "dnsbl";
constexpr const char* kBlockOption = "dnsbl-lists";
constexpr const char* kAllowOption = "dnsbl-allow-lists";
constexpr const char* kStrongAction = "dnsbl-strong-action";

struct Query {
  const ListSpec* list;
  std::string subject;  // what was looked up: "192.0.2.1", "helo example.com"
  std::string qname;
  DnsLookup answer;
};

struct Hit {
  const Query* q;
  std::string word, codes;
  DnsLookup txt;
};

bool is_ip_source(Source s) { return s == Source::ip || s == Source::ip4 || s == Source::ip6; }

class Dnsbl : public Check {
 public:
  explicit Dnsbl(std::vector<ListSpec> lists) : lists_(std::move(lists)) {}

  void on_connect(Session& s) override {
    ip_.clear();
    if (!s.conn.ip) return;
    for (const auto& l : lists_)
      if (is_ip_source(l.source)) start(s, &ip_, l, s.conn.ip->to_string(), dnsbl::query_for_ip(l, *s.conn.ip));
  }
  void on_helo(Session& s) override { start_names(s, &helo_, Source::helo, "HELO", s.conn.helo); }
  void on_mail(Session& s) override {
    start_names(s, &sender_, Source::sender, "sender domain", s.mail_from_domain());
  }

  std::vector<Finding> finish(Session& s) override {
    if (lists_.empty()) return {};
    if (!ptr_started_ && s.conn.ip && s.rdns.started()) {
      ptr_started_ = true;
      std::string name = s.rdns.best_name();
      if (!name.empty()) start_names(s, &ptr_, Source::ptr, "PTR", name);
    }
    std::vector<Finding> out, errors;
    std::vector<Hit> hits;
    for (const auto* set : {&ip_, &helo_, &ptr_, &sender_})
      for (const auto& q : *set) collect(s, q, &hits, &errors);
    for (auto& h : hits) out.push_back(describe(h, s.config.str(kStrongAction)));
    out.insert(out.end(), errors.begin(), errors.end());
    if (out.empty()) out.push_back({kCheck, "clean", clean_detail(), {}});
    return out;
  }

 private:
  void start(Session& s, std::vector<Query>* set, const ListSpec& l, std::string subject, std::string qname) {
    if (qname.empty()) return;
    DnsLookup a = s.resolver.lookup(qname, DnsType::A);
    set->push_back({&l, std::move(subject), std::move(qname), std::move(a)});
  }

  void start_names(Session& s, std::vector<Query>* set, Source src, const char* what, const std::string& name) {
    set->clear();
    for (const auto& l : lists_)
      if (l.source == src)
        start(s, set, l, std::string(what) + " " + quote_untrusted(name, 80), dnsbl::query_for_name(l, name));
  }

  // One list's answer: hits (one per result word, with its TXT lookup
  // started at once) or a temperror finding.
  void collect(Session& s, const Query& q, std::vector<Hit>* hits, std::vector<Finding>* errors) {
    DnsAnswer a = q.answer.get();
    if (a.status == DnsStatus::nxdomain || a.status == DnsStatus::nodata) return;
    std::string why = a.ok() ? "" : (a.why.empty() ? to_string(a.status) : a.why);
    std::vector<Hit> mine;
    for (const auto& rec : a.records) {
      std::string word = dnsbl::classify(*q.list, rec);
      if (word == "temperror" && why.empty()) why = "error code " + quote_untrusted(rec, 40);
      if (word.empty() || word == "temperror") continue;
      Hit* h = nullptr;
      for (auto& m : mine) if (m.word == word) h = &m;
      if (!h) h = &mine.emplace_back(Hit{&q, word, "", {}});
      h->codes += (h->codes.empty() ? "" : ", ") + quote_untrusted(rec, 40);
    }
    if (!why.empty()) {
      errors->push_back({kCheck, "temperror", q.subject + ": " + q.list->zone + " failed (" + why + ")", {}});
      return;
    }
    if (mine.empty()) return;
    DnsLookup txt = s.resolver.lookup(q.qname, DnsType::TXT);
    for (auto& h : mine) {
      h.txt = txt;
      hits->push_back(std::move(h));
    }
  }

  // strong_action: the floor of a listed-strong hit (dnsbl-strong-action).
  static Finding describe(const Hit& h, const std::string& strong_action) {
    const char* on = h.q->list->kind == dnsbl::Kind::block ? " listed on " : " allowed by ";
    std::string d = h.q->subject + on + h.q->list->zone + " (" + h.codes + ")";
    DnsAnswer txt = h.txt.get();
    if (txt.ok() && !txt.records.empty()) d += ": " + quote_untrusted(txt.records.front(), 120);
    Finding f{kCheck, h.word, d, {}};
    if (h.word == "listed-strong") f.floor = floor_of_action(strong_action);
    return f;
  }

  std::string clean_detail() const {
    std::string zones;
    for (const auto* set : {&ip_, &helo_, &ptr_, &sender_})
      for (const auto& q : *set) zones += (zones.empty() ? "" : ", ") + q.list->zone;
    return zones.empty() ? "nothing to look up on the configured lists" : "not listed on " + zones;
  }

  std::vector<ListSpec> lists_;
  std::vector<Query> ip_, helo_, ptr_, sender_;
  bool ptr_started_ = false;
};

std::unique_ptr<Check> make_dnsbl(const Config& cfg) {
  auto lists = dnsbl::parse_lists(kBlockOption, cfg.list(kBlockOption), dnsbl::Kind::block);
  auto allow = dnsbl::parse_lists(kAllowOption, cfg.list(kAllowOption), dnsbl::Kind::allow);
  lists.insert(lists.end(), allow.begin(), allow.end());
  return std::make_unique<Dnsbl>(std::move(lists));
}

std::function<std::string(const std::string&)> validator(dnsbl::Kind kind) {
  return [kind](const std::string& item) {
    ListSpec l;
    return dnsbl::parse_list(item, kind, &l);
  };
}

}  // namespace

CheckInfo dnsbl_check_info() {
  return {
      kCheck,
      "client IP / HELO / PTR / sender domain on DNS block- and allowlists (RFC 5782)",
      {
          {"listed-strong", -7.0, "a list of spam sources or hijacked hosts (Spamhaus SBL/CSS/XBL, "
                                  "DBL): rspamd RBL_SPAMHAUS_SBL 4, SpamAssassin RCVD_IN_SBL 2.6; besides "
                                  "these points the floor dnsbl-strong-action. Was -5: most sites reject "
                                  "these lists at connect (Postfix reject_rbl_client), as they do an "
                                  "NXDOMAIN sender (-7); corpus: 3 bad, no legit"},
          {"listed", -3.0, "a general blocklist (SpamCop): SpamAssassin RCVD_IN_BL_SPAMCOP_NET 1.3, "
                           "policyd-weight bl.spamcop.net 3.75"},
          {"listed-weak", -1.0, "policy lists of dynamic space (Spamhaus PBL): not spam itself, "
                                "overlaps the ptr check; rspamd RBL_SPAMHAUS_PBL 2"},
          {"allowed-strong", 3.0, "high-trust allowlisting (list.dnswl.org hi): SpamAssassin "
                                  "RCVD_IN_DNSWL_HI -5"},
          {"allowed", 2.0, "medium-trust allowlisting (dnswl med): SpamAssassin RCVD_IN_DNSWL_MED -2.3"},
          {"allowed-weak", 1.0, "low-trust allowlisting (dnswl low): SpamAssassin RCVD_IN_DNSWL_LOW -0.7"},
          {"clean", 0.0, "not on any configured list: absence is no evidence"},
          {"temperror", 0.0, "a list did not answer, or answered an error code such as Spamhaus' "
                             "127.255.255.254 (query via a public resolver): never a listing"},
      },
      {
          {kBlockOption, OptKind::list, "",
           "DNS blocklists, ZONE[:ip|ip4|ip6|helo|ptr|sender][=CODE[-CODE][:WORD][;...]], WORD "
           "listed-strong|listed|listed-weak|temperror (default listed, any 127/8 code); e.g. "
           "zen.spamhaus.org=127.0.0.2-127.0.0.9:listed-strong;127.0.0.10-127.0.0.11:listed-weak "
           "bl.spamcop.net=127.0.0.2 dbl.spamhaus.org:sender=127.0.1.2-127.0.1.99:listed-strong "
           "(Spamhaus refuses public resolvers such as 8.8.8.8 and answers 127.255.255.254: "
           "127.255.255.x is always temperror, never a listing)",
           {}, validator(dnsbl::Kind::block)},
          {kAllowOption, OptKind::list, "",
           "DNS allowlists, same syntax, WORD allowed-strong|allowed|allowed-weak|temperror "
           "(default allowed); e.g. list.dnswl.org=127.0.0.255:temperror;127.0.0.0-127.0.255.255:allowed",
           {}, validator(dnsbl::Kind::allow)},
          {kStrongAction, OptKind::choice, "quarantine",
           "least action for a listed-strong hit, whatever the score: a spam operation authenticates "
           "its own domains (SPF, DKIM, FCrDNS all pass), so they must not buy the listing back; the "
           "field rejects these lists at connect (Postfix reject_rbl_client zen.spamhaus.org). "
           "none = points only",
           {"quarantine", "reject", "none"}},
      },
      make_dnsbl,
  };
}

}  // namespace legit
