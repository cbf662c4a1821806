// anonymous.cc — a client that names itself nowhere sending a message that
// nothing authenticates. Check `anonymous`.
//
// Each part is weak alone and already counted by its own check: a provider's
// default or dynamic PTR (ptr generic, generic-static) or none, a HELO that
// is not a name of the client's own (generic, internal, no-resolve, ...), no
// authentication. Honest senders have at least one of them right: the hosted
// club server says its own name in HELO, the app on a cloud VM signs with
// DKIM or passes SPF, a home server's dyndns HELO resolves to it. Together
// they are the bot on a cable line or a rented VM that Gmail and Yahoo reject
// outright (PTR and authentication required since 2024) and that Spamhaus
// PBL exists for. The points of the parts often stay above quarantine-below,
// so this check sets a floor instead of adding points.
// Result:
//   unnamed-unauthenticated  ptr none/generic/generic-static, helo neither
//                            matches-ptr, resolves-to-client nor
//                            same-domain-as-ptr, and no SPF pass (MAIL FROM
//                            or HELO, a pass that authorises everyone does
//                            not count) and no DKIM pass of any domain — but
//                            a free-mail provider's (`freemail-domains`) for
//                            an envelope sender at that same provider: the
//                            provider signs only on its own named servers, and
//                            its SPF has just said this client is not one of
//                            them, so the signature was replayed (a message
//                            once sent through Gmail, resent by a bot)
// No finding when any of those is unknown (temperror, no client IP, no PTR
// or HELO finding), the client is a listed forwarder, or the allowlist
// vouches for the message (client, host, authenticated sender, postmaster@:
// a device the postmaster listed because it cannot authenticate). Reads
// what ptr, helo, spf, spf-helo, dkim and allowlist published
// (Session::msg.auth), so it runs after them; no lookups of its own.
#include <string>

#include "free_mail.h"
#include "legit/check.h"
#include "legit/domain.h"
#include "legit/forwarder.h"

namespace legit {
namespace {

bool unnamed_ptr(const std::string& r) { return r == "none" || r == "generic" || r == "generic-static"; }

bool own_helo(const std::string& r) {
  return r == "matches-ptr" || r == "resolves-to-client" || r == "same-domain-as-ptr";
}

// A DKIM pass of a free-mail provider carried for an envelope sender at that
// provider whose SPF did not pass: a replay (see the header), no evidence.
bool replayed(const Config& cfg, const AuthFacts& a, const AuthFacts::Dkim& k) {
  return a.spf_mailfrom != "pass" && same_registrable_domain(k.domain, a.spf_mailfrom_domain) &&
         free_mail(cfg, k.domain);
}

// "pass" for some identity, "temperror" when one could not be decided, else "".
std::string authentication(const Config& cfg, const AuthFacts& a) {
  bool temp = a.spf_mailfrom == "temperror" || a.spf_helo == "temperror";
  bool pass = (a.spf_mailfrom == "pass" && !a.spf_mailfrom_broad) || a.spf_helo == "pass";
  for (const auto& k : a.dkim) {
    pass = pass || (k.result == "pass" && !replayed(cfg, a, k));
    temp = temp || k.result == "temperror";
  }
  return pass ? "pass" : temp ? "temperror" : "";
}

class Anonymous : public Check {
 public:
  std::vector<Finding> finish(Session& s) override {
    const AuthFacts& a = s.msg.auth;
    if (!unnamed_ptr(a.ptr) || a.helo.empty() || a.helo == "temperror" || own_helo(a.helo)) return {};
    bool vouched = !a.allowlist.empty() && a.allowlist != "sender-unverified";
    if (vouched || !authentication(s.config, a).empty() || is_forwarder(s)) return {};
    Finding f{"anonymous", "unnamed-unauthenticated",
              "the client has no name of its own (ptr=" + a.ptr + ", helo=" + a.helo +
                  ") and no SPF or DKIM pass authenticates the message",
              {}};
    f.floor = floor_of_action(s.config.str("anonymous-action"));
    return {f};
  }
};

}  // namespace

CheckInfo anonymous_check_info() {
  return {
      "anonymous",
      "a client named nowhere (generic or no PTR, HELO not its own) sending mail nothing authenticates",
      {
          {"unnamed-unauthenticated", 0.0,
           "its parts are counted by ptr, helo, spf/dkim/dmarc; together they set the floor "
           "anonymous-action (Gmail/Yahoo reject such mail since 2024; Spamhaus PBL). A free-mail "
           "provider's DKIM pass for its own envelope domain whose SPF failed is a replay, not "
           "authentication. Corpus: 0 legit, 4 bad that the sum of the parts left accepted"},
      },
      {
          {"anonymous-action", OptKind::choice, "quarantine",
           "least action for mail from a client with a generic or no PTR and a HELO not its own that "
           "no SPF or DKIM pass authenticates (none = no floor)",
           {"quarantine", "none"}},
      },
      [](const Config&) { return std::make_unique<Anonymous>(); },
  };
}

}  // namespace legit
