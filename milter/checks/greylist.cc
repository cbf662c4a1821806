// greylist.cc — selective greylisting (greylist.h): only doubtful messages
// from a new triplet (client network, envelope sender, recipient) get
// "451 4.7.1" and must retry, as rspamd's greylist module does by score.
//
// State words of the check's finding (keys added at end of headers to the
// message's one read batch, answered at end-of-data):
//   new            some recipient's triplet was never seen (or expired)
//   early          seen less than greylist-delay ago ("WAIT" in the detail)
//   retry          every triplet seen between greylist-delay and
//                  greylist-window ago: this retry passes
//   known          every triplet passed before (35 days), or the network
//                  passed greylist-known-after times (also: a correspondent
//                  or reply finding, decided in apply_greylist)
//   bounce         null sender to an address of our users that sent mail in
//                  the last 7 days (a bounce of our own outbound mail)
//   temperror      the store failed: never greylist, mail flows
// The detail is "WAIT DOMAIN_KNOWN" (seconds, 0/1): a sender domain that
// passed greylist-known-after times counts only with an SPF pass, which is
// known after this read. What the log shows (apply_greylist), in the band:
//   greylist=new-triplet(retry-after-300s), greylist=too-early(retry-after-
//   120s), greylist=passed(retried-after-310s), greylist=known(passed-before
//   or bounce-to-our-mail), greylist=temperror(memory-down): a field of its
//   own after checks= (one token, like every field). Outside the band the
//   finding is dropped.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "../memory/keys.h"
#include "greylist.h"
#include "legit/check.h"
#include "legit/domain.h"
#include "legit/memory.h"

namespace legit {
namespace {

// "NETWORK|SENDER|RECIPIENT", the text a triplet's key hashes, into `out`
// (reused: no allocation per recipient).
const std::string& triplet_text(std::string& out, const Session& s, std::string_view network, std::string_view rcpt) {
  std::string buf;
  out.assign(network).append("|").append(mkeys::address(s.msg.mail_from, buf)).append("|");
  out.append(mkeys::address(rcpt, buf));
  return out;
}

// Every recipient's triplet record under `kind` (g:t: first seen, g:ok:
// passed), each with its index entries (g:i:OWNER:THASH for the network, the
// hashed recipient and the hashed sender, keys.h) kept as long, so that
// `legit-milter memory forget` finds the triplets of an address or network.
void add_triplets(Session& s, std::string_view kind, std::int64_t ttl, std::vector<Update>& u) {
  Memory& m = *s.memory;
  const std::string& net = mkeys::network(s);
  std::string text;
  char t[16], owner[16];
  for (const auto& r : s.msg.rcpts) {
    if (!m.hash(triplet_text(text, s, net, r), t)) return;  // no site secret: nothing to key
    const std::string_view th(t, sizeof t);
    u.push_back({std::string(kind).append(th), 1, 0, ttl});
    auto index = [&](std::string_view who) {
      u.push_back({mkeys::triplet_index(who, th), 1, 0, ttl});
    };
    index(net);
    std::string buf;
    if (m.hash(mkeys::address(r, buf), owner)) index({owner, sizeof owner});
    if (!s.msg.mail_from.empty() && m.hash(mkeys::address(s.msg.mail_from, buf), owner))
      index({owner, sizeof owner});
  }
}

class Greylist : public Check {
 public:
  void on_mail(Session&) override {
    first_ = kNone;
    hashed_ = true;
  }

  // The network's and the sender domain's passes, then per recipient its
  // triplet, the triplet's pass and, for a bounce (null sender) only, "our
  // sender", join the message's read batch (Session::reads), answered at
  // end-of-data.
  void on_eoh(Session& s) override {
    if (!s.memory || !s.conn.ip || s.msg.rcpts.empty()) return;
    Memory& m = *s.memory;
    const std::string& net = mkeys::network(s);
    const bool bounce = s.msg.mail_from.empty();
    first_ = s.reads.add(mkeys::kGreyNet, net);
    per_ = bounce ? 3 : 2;
    count_ = 2 + per_ * s.msg.rcpts.size();
    s.reads.add(mkeys::kGreyDomain, mkeys::sender_domain(s));
    char h[16], hr[16];
    std::string text;
    for (const auto& r : s.msg.rcpts) {
      std::string buf;
      bool ok = m.hash(triplet_text(text, s, net, r), h) && (!bounce || m.hash(mkeys::address(r, buf), hr));
      hashed_ = hashed_ && ok;
      std::string_view t = ok ? std::string_view(h, sizeof h) : std::string_view();
      s.reads.add(mkeys::kTriplet, t);
      s.reads.add(mkeys::kTripletOk, t);
      if (bounce) s.reads.add(mkeys::kOurSender, ok ? std::string_view(hr, sizeof hr) : std::string_view());
    }
  }

  std::vector<Finding> finish(Session& s) override {
    if (!s.memory || first_ == kNone) return {};
    Memory& m = *s.memory;
    const auto* all = hashed_ ? s.reads.answers(m) : nullptr;
    if (!all || first_ + count_ > all->size()) return {{"greylist", "temperror", "0 0", {}}};
    const std::optional<Record>* recs = all->data() + first_;
    const std::size_t n = count_;
    const Config& cfg = s.config;
    double known_after = cfg.num("greylist-known-after");
    // (g:d: with an empty domain is never written: present = a domain)
    bool domain_known = recs[1] && recs[1]->count >= known_after;
    auto now = m.now();
    auto delay = static_cast<std::int64_t>(cfg.num("greylist-delay"));
    bool any_new = false, all_passed = true, bounce = false;
    std::int64_t wait = 0, retried = 0;
    for (std::size_t i = 2; i + per_ - 1 < n; i += per_) {
      const auto& t = recs[i];
      const auto& ok = recs[i + 1];
      if (per_ == 3 && recs[i + 2]) bounce = true;
      if (!ok) all_passed = false;
      if (ok) continue;
      if (!t) any_new = true;
      else if (now - t->first < delay) wait = std::max(wait, delay - (now - t->first));
      else wait = std::max<std::int64_t>(wait, 0);
      if (t && now - t->first >= delay) retried = std::max(retried, now - t->first);
    }
    const char* state = "retry";
    if (bounce) state = "bounce";
    else if (all_passed || (recs[0] && recs[0]->count >= known_after)) state = "known";
    else if (any_new) state = "new";
    else if (wait > 0) state = "early";
    return {{"greylist", state,
             std::to_string(state == std::string_view("retry") ? retried : wait) + " " + (domain_known ? "1" : "0"),
             {}}};
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t first_ = kNone;  // index of g:n:NET in s.reads
  std::size_t count_ = 0;      // keys from first_ on: 2 + per_ per recipient
  std::size_t per_ = 2;        // keys per recipient: 3 for a bounce (our sender)
  bool hashed_ = true;
};

Finding shown(std::string result, std::string detail) {
  return {"greylist", std::move(result), std::move(detail), {}};
}

}  // namespace

std::string apply_greylist(Session& s, Verdict& v) {
  auto it = std::find_if(v.items.begin(), v.items.end(),
                         [](const ScoredFinding& f) { return f.finding.check == "greylist"; });
  if (it == v.items.end()) return "";
  std::string state = it->finding.result;
  long long n = std::atoll(it->finding.detail.c_str());
  bool domain_known = it->finding.detail.size() > 2 && it->finding.detail.back() == '1';
  v.items.erase(it);
  const Config& cfg = s.config;
  bool in_band = s.memory && v.action != Action::reject && v.score >= cfg.reject_below &&
                 v.score < cfg.num("greylist-below");
  if (!in_band) return "";
  if (domain_known && s.msg.auth.spf_mailfrom == "pass" && state != "bounce") state = "known";
  for (const auto& f : v.items)  // our users' correspondents proved themselves already
    if (f.finding.check == "correspondent" && f.finding.result != "temperror") state = "known";
  Memory& m = *s.memory;
  const std::string& net = mkeys::network(s);
  auto delay = static_cast<long long>(cfg.num("greylist-delay"));
  auto window = static_cast<std::int64_t>(cfg.num("greylist-window"));
  std::vector<Update> u;
  std::string reply;
  if (state == "temperror") {
    v.items.push_back({shown("temperror", "memory-down"), 0});
  } else if (state == "known" || state == "bounce") {
    v.items.push_back({shown("known", state == "bounce" ? "bounce-to-our-mail" : "passed-before"), 0});
  } else if (state == "new" || state == "early") {
    long long wait = state == "new" ? delay : n;
    v.items.push_back({shown(state == "new" ? "new-triplet" : "too-early",
                             "retry-after-" + std::to_string(wait) + "s"), 0});
    v.action = Action::tempfail;
    reply = "Greylisted: please try again in " + std::to_string(wait) + " seconds";
    if (state == "new") add_triplets(s, mkeys::kTriplet, window, u);
  } else {  // retry: passes
    v.items.push_back({shown("passed", "retried-after-" + std::to_string(n) + "s"), 0});
    add_triplets(s, mkeys::kTripletOk, mkeys::kGreyPassedTtl, u);
    u.push_back({std::string(mkeys::kGreyNet).append(net), 1, 0, mkeys::kGreyPassedTtl});
    const std::string& dom = mkeys::sender_domain(s);
    if (!dom.empty() && s.msg.auth.spf_mailfrom == "pass")
      u.push_back({std::string(mkeys::kGreyDomain).append(dom), 1, 0, mkeys::kGreyPassedTtl});
  }
  m.write(std::move(u));
  return reply;
}

CheckInfo greylist_check_info() {
  auto seconds = [](double lo, double hi) {
    return [lo, hi](const std::string& v) {
      double d = std::strtod(v.c_str(), nullptr);
      return d >= lo && d <= hi ? std::string()
                                : "is out of range (" + std::to_string(static_cast<long>(lo)) + " to " +
                                      std::to_string(static_cast<long>(hi)) + ")";
    };
  };
  return {
      "greylist",
      "selective greylisting: a doubtful message from a new (network, sender, recipient) must retry",
      {},
      {
          {"greylist-below", OptKind::number, "0",
           "Greylist a new triplet when the score is below this and not below reject-below "
           "(needs memory); set it to reject-below or lower to turn greylisting off."},
          {"greylist-delay", OptKind::number, "300",
           "Seconds a greylisted triplet must wait before its retry passes.", {}, seconds(0, 86400)},
          {"greylist-window", OptKind::number, "86400",
           "Seconds after the first attempt within which the retry must come (then it starts over).",
           {}, seconds(60, 30 * 86400)},
          {"greylist-known-after", OptKind::number, "3",
           "A network (or SPF-pass sender domain) whose mail passed greylisting this many times in "
           "35 days is not greylisted again.", {}, seconds(1, 1000)},
      },
      [](const Config&) { return std::make_unique<Greylist>(); },
  };
}

}  // namespace legit
