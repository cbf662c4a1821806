// test_lookalike.cc — look-alike names (milter/checks/lookalike_names.cc) and
// the lookalike check (milter/checks/lookalike.cc): skeletons, punycode,
// edits, and the result per From / MAIL FROM domain, honest collisions included.
#include "../../milter/checks/lookalike_names.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

Outcome run(const Config& cfg, const std::string& from_header, const std::string& mail_from,
            const std::string& check = "lookalike") {
  FakeResolver dns;
  Engine engine(cfg, dns, {check_info(check)});
  Msg m;
  m.ip = "192.0.2.200";
  m.from = mail_from;
  m.headers = {{"From", from_header}};
  return run_message(engine, m);
}

}  // namespace

TEST_CASE("lookalike names: skeleton folds what looks alike") {
  using lookalike::skeleton;
  using lookalike::utf8_code_points;
  CHECK(skeleton(utf8_code_points("PayPa1")) == "paypal");
  CHECK(skeleton(utf8_code_points("g00gle")) == "google");
  CHECK(skeleton(utf8_code_points("rnicrosoft")) == "microsoft");
  CHECK(skeleton(utf8_code_points("vvellsfargo")) == "wellsfargo");
  CHECK(skeleton(utf8_code_points("p\xd0\xb0yp\xd0\xb0l")) == "paypal");      // Cyrillic a
  CHECK(skeleton(utf8_code_points("\xce\xbf" "ffice")) == "office");             // Greek omicron
  CHECK(skeleton(utf8_code_points("b\xc3\xbc" "cher")) == "bucher");          // u-umlaut
  CHECK(skeleton(utf8_code_points("\xef\xbc\xb0" "aypal")) == "paypal");      // full-width P
  CHECK(skeleton(utf8_code_points("\xe4\xb8\xad")) == "~");                   // no ASCII look-alike
  CHECK(skeleton(utf8_code_points("a\xff" "b")) == "a~b");                    // bad UTF-8
}

TEST_CASE("lookalike names: punycode labels decode (RFC 3492), bad ones give nothing") {
  using lookalike::label_code_points;
  CHECK(label_code_points("xn--bcher-kva") == U"b\u00fccher");
  CHECK(label_code_points("xn--pypal-4ve") == U"p\u0430ypal");
  CHECK(label_code_points("XN--PYPAL-4VE") == U"p\u0430ypal");
  CHECK(label_code_points("xn--eckwd4c7c") == U"\u30c9\u30e1\u30a4\u30f3");
  CHECK(label_code_points("plain") == U"plain");
  CHECK(label_code_points("p\xd0\xb0ypal") == U"p\u0430ypal");  // UTF-8 as sent with SMTPUTF8
  for (const char* bad : {"xn--", "xn--a", "xn--99999999999999", "xn--\xc3\xa4-x", "xn--a-!!", "xn--zzzzzzzzzzzzzzzzzzzzzzz"})
    CHECK_MESSAGE(label_code_points(bad).size() <= 63, bad);
  CHECK(label_code_points("xn--a-!!").empty());
}

TEST_CASE("lookalike names: one edit") {
  using lookalike::within_one_edit;
  CHECK(within_one_edit("paypal", "paypai"));
  CHECK(within_one_edit("paypal", "paypall"));
  CHECK(within_one_edit("paypal", "pypal"));
  CHECK(within_one_edit("paypal", "papyal"));
  CHECK(within_one_edit("paypal", "paypal"));
  CHECK_FALSE(within_one_edit("paypal", "pyapla"));
  CHECK_FALSE(within_one_edit("paypal", "paypal-secure"));
  CHECK_FALSE(within_one_edit("", "ab"));
}

TEST_CASE("lookalike names: a letter doubled or two neighbours swapped") {
  struct Row {
    const char* text;
    const char* label;
    bool typo;
  };
  const Row rows[] = {
      {"corrp", "corp", true},     {"ccorp", "corp", true},  {"corpp", "corp", true},
      {"gooogle", "google", true}, {"copr", "corp", true},   {"ocrp", "corp", true},
      {"corp", "corp", false},     {"corps", "corp", false},  // another letter added
      {"carp", "corp", false},                                // one replaced
      {"crp", "corp", false},                                 // one left out
      {"cprr", "corp", false},     {"corrrp", "corp", false}, {"", "corp", false}, {"a", "", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(lookalike::doubled_or_swapped(r.text, r.label) == r.typo);
  }
}

TEST_CASE("lookalike: result per sender domain, honest collisions left alone") {
  struct Row {
    const char* from_header;
    const char* mail_from;
    const char* result;  // "" = no finding
  };
  const Row rows[] = {
      {"PayPal <service@paypa1-secure.example>", "<bounce@paypa1-secure.example>", "confusable"},
      {"a@xn--pypal-4ve.com", "<a@xn--pypal-4ve.com>", "confusable"},
      {"a@rnicrosoft.com", "<a@rnicrosoft.com>", "confusable"},
      {"a@micros0ft-login.example", "<a@ok.example>", "confusable"},
      {"a@paypal-secure.com", "<a@paypal-secure.com>", "brand-token"},
      {"a@account-microsoft.net", "<a@account-microsoft.net>", "brand-token"},
      {"a@paypalverify.com", "<a@paypalverify.com>", "brand-token"},
      {"a@ok.example", "<bounce@paypa1.com>", "confusable"},  // the envelope alone
      {"a@paypal.com.secure-login.example", "<a@ok.example>", "brand-token"},  // spelled in the subdomain
      {"a@www.PayPal.com.Account.example.", "<a@ok.example>", "brand-token"},
      {"a@paypal.notices.example", "<a@ok.example>", ""},  // a label alone in a subdomain: no claim
      {"a@mail.paypal.com", "<a@paypal.com>", ""},
      {"a@paypai.com", "<a@paypai.com>", "near"},
      {"a@paypay.ne.jp", "<a@paypay.ne.jp>", "near"},  // honest, documented: weak
      {"a@examp1e.net", "<a@examp1e.net>", "confusable"},  // our recipient domain example.net
      {"a@example-login.com", "<a@example-login.com>", "brand-token"},
      {"AP <ap@exammple.net>", "<ap@exammple.net>", "typo"},  // ours with a letter doubled
      {"a@ok.example", "<b@exmaple.net>", "typo"},            // two swapped, the envelope alone
      {"a@mail.examplee.net", "<a@ok.example>", "typo"},
      // honest
      {"PayPal <service@paypal.com>", "<bounce@mail.paypal.com>", ""},
      {"PayPal <service@paypal.de>", "<b@paypal.de>", ""},
      {"a@apple-orchard-farm.example", "<a@apple-orchard-farm.example>", ""},
      {"a@cafe-amazonas.example", "<a@cafe-amazonas.example>", ""},
      {"a@amazon-coffee.example", "<a@amazon-coffee.example>", ""},
      {"a@amazon.co.uk", "<a@amazonses.com>", ""},
      {"a@facebookmail.com", "<a@facebookmail.com>", ""},
      {"a@microsoftonline.com", "<a@email.microsoftonline.com>", ""},
      {"a@googlemail.com", "<a@googlemail.com>", ""},
      {"a@exampie.net", "<a@exampie.net>", ""},  // one letter from ours: small firms sit that close
      {"a@examples.net", "<a@examples.net>", ""},  // another letter added
      {"a@exmple.net", "<a@exmple.net>", ""},      // one left out
      {"a@paypall.com", "<a@paypall.com>", "near"},  // a brand's doubled letter stays near
      {"a@example.org", "<a@example.org>", ""},  // our label under another suffix
      {"a@mcsv.net", "<>", ""},
      {"a@localhost", "<a@[192.0.2.1]>", ""},
      {"", "<a@com>", ""},
      {"=?utf-8?B?!!!?= <a@xn--->", "<a@xn--zz.com>", ""},
  };
  Config cfg = make_config();
  for (const auto& r : rows) {
    CAPTURE(r.from_header);
    CAPTURE(r.mail_from);
    Outcome o = run(cfg, r.from_header, r.mail_from);
    CHECK(result_of(o, "lookalike") == r.result);
    if (*r.result) CHECK(o.verdict.items.front().points == cfg.points("lookalike", r.result));
  }
}

TEST_CASE("lookalike: digits and homoglyphs quarantine; rn/vv only a brand with another negative") {
  Config cfg = make_config();
  auto only = [](const Outcome& o) -> const Finding& {
    REQUIRE(o.verdict.items.size() == 1);
    return o.verdict.items.front().finding;
  };
  for (const char* d : {"a@paypa1.com", "a@xn--pypal-4ve.com", "a@examp1e.net", "a@micros0ft-login.example"}) {
    CAPTURE(d);
    Outcome o = run(cfg, d, "<a@ok.example>");
    CHECK(only(o).floor == "quarantine");
    CHECK_FALSE(only(o).floor_with_negative);
    CHECK(o.action == Action::quarantine);  // alone, whatever the score
  }
  Outcome rn = run(cfg, "a@rnicrosoft.com", "<a@ok.example>");
  CHECK(only(rn).result == "confusable");
  CHECK(only(rn).floor == "quarantine");
  CHECK(only(rn).floor_with_negative);
  CHECK(rn.verdict.floor_by.empty());  // no other negative finding: the floor does not apply
  // our domain by rn/vv: an honest neighbour (modern/modem) is possible
  Config modern = make_config({{"our-domains", "modem.example"}});
  CHECK(only(run(modern, "a@modern.example", "<a@ok.example>")).floor.empty());
  CHECK(only(run(cfg, "a@paypal-secure.com", "<a@x.example>")).floor.empty());
  CHECK(only(run(cfg, "a@paypai.com", "<a@x.example>")).floor.empty());
  CHECK(only(run(cfg, "a@paypa1.com", "<a@x.example>")).detail.find("paypal.com") != std::string::npos);
  Config none = make_config({{"lookalike-action", "none"}});
  CHECK(only(run(none, "a@paypa1.com", "<a@paypa1.com>")).floor.empty());
  CHECK(only(run(none, "a@exammple.net", "<a@exammple.net>")).floor.empty());
}

TEST_CASE("lookalike: a typo of our own domain quarantines; short names and brands do not") {
  Config cfg = make_config({{"our-domains", "corp.example abc.example"}});
  Outcome o = run(cfg, "Accounts Payable <ap@corrp.example>", "<ap@corrp.example>");
  REQUIRE(o.verdict.items.size() == 1);
  const Finding& f = o.verdict.items.front().finding;
  CHECK(f.result == "typo");
  CHECK(f.floor == "quarantine");
  CHECK_FALSE(f.floor_with_negative);
  CHECK(f.detail.find("our domain corp.example") != std::string::npos);
  CHECK(o.action == Action::quarantine);
  CHECK(result_of(run(cfg, "a@copr.example", "<a@copr.example>"), "lookalike") == "typo");
  CHECK(result_of(run(cfg, "a@abbc.example", "<a@abbc.example>"), "lookalike") == "");  // 3 letters: too short
  CHECK(result_of(run(cfg, "a@corp.example", "<a@corp.example>"), "lookalike") == "");  // ours itself
  CHECK(result_of(run(cfg, "a@corrp.de", "<a@corrp.de>"), "lookalike") == "typo");      // any suffix
}

TEST_CASE("lookalike: lookalike-protect replaces the brand list; bad values refused") {
  Config cfg = make_config({{"lookalike-protect", "acme-bank.example"}});
  CHECK(result_of(run(cfg, "a@acrne-bank.example", "<a@acrne-bank.example>"), "lookalike") == "confusable");
  CHECK(result_of(run(cfg, "a@paypa1.com", "<a@paypa1.com>"), "lookalike") == "");
  std::string err;
  CHECK_FALSE(config_from({{"lookalike-protect", "com"}}, &err));
  CHECK(err.find("lookalike-protect") != std::string::npos);
}

TEST_CASE("lookalike: a brand spelled with its own alphabet's accents, by a domain that authenticates itself") {
  struct Row {
    const char* from_header;
    const char* mail_from;
    const char* spf_domain;  // publishes v=spf1 ip4:192.0.2.200 -all; "" = none
    const char* our;         // our-domains
    const char* result;      // lookalike's
    bool quarantined;
  };
  const Row rows[] = {
      // Swedish äpple.se (xn--pple-koa), its own SPF passes: a word of its language.
      {"Fruktimport <order@xn--pple-koa.se>", "<order@xn--pple-koa.se>", "xn--pple-koa.se", "", "accented", false},
      {"order@xn--pple-bageriet-9eb.se", "<b@mail.xn--pple-bageriet-9eb.se>", "mail.xn--pple-bageriet-9eb.se", "",
       "accented", false},
      // nothing authenticates it, or only another domain: the look-alike catch stays
      {"order@xn--pple-koa.se", "<order@xn--pple-koa.se>", "", "", "confusable", true},
      {"order@xn--pple-koa.se", "<x@other.example>", "other.example", "", "confusable", true},
      // Cyrillic а (xn--pple-43d), a digit (päypa1): deliberate, authenticated or not
      {"a@xn--pple-43d.se", "<a@xn--pple-43d.se>", "xn--pple-43d.se", "", "confusable", true},
      {"a@xn--pypa1-gra.com", "<a@xn--pypa1-gra.com>", "xn--pypa1-gra.com", "", "confusable", true},
      // our own domain is not relaxed: a BEC look-alike authenticates too
      {"a@xn--khler-jua.example", "<a@xn--khler-jua.example>", "xn--khler-jua.example", "kohler.example",
       "confusable", true},
      // the display name claims the brand over it: display-name's floor
      {"Apple <order@xn--pple-koa.se>", "<order@xn--pple-koa.se>", "xn--pple-koa.se", "", "accented", true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.from_header);
    CAPTURE(r.mail_from);
    Config cfg = make_config({{"our-domains", r.our}});
    FakeResolver dns;
    if (*r.spf_domain) dns.add(r.spf_domain, DnsType::TXT, {"v=spf1 ip4:192.0.2.200 -all"});
    Engine engine(cfg, dns, {check_info("spf"), check_info("lookalike"), check_info("display-name")});
    Msg m;
    m.ip = "192.0.2.200";
    m.from = r.mail_from;
    m.headers = {{"From", r.from_header}};
    Outcome o = run_message(engine, m);
    CHECK(result_of(o, "lookalike") == r.result);
    CHECK((o.verdict.action == Action::quarantine) == r.quarantined);
    if (std::string(r.result) == "accented") {
      CHECK(cfg.points("lookalike", "accented") > cfg.points("lookalike", "confusable"));
      CHECK(result_of(o, "display-name") == (r.quarantined ? "names-brand" : ""));
    }
  }
}

// SMTPUTF8: a protected or own domain written in UTF-8 in the config is the
// same domain as its A-labels in From (and the other way round): mail from it
// is no look-alike of it, a digit variant of it still is.
TEST_CASE("lookalike: a UTF-8 entry in our-domains or lookalike-protect matches its A-labels") {
  struct Row { const char* option; const char* value; const char* from; const char* result; };
  const Row rows[] = {
      {"our-domains", "b\xc3\xa4" "ckerei.example", "a@xn--bckerei-5wa.example", ""},
      {"our-domains", "b\xc3\xa4" "ckerei.example", "a@b\xc3\xa4" "ckerei.example", ""},
      {"our-domains", "xn--bckerei-5wa.example", "a@b\xc3\xa4" "ckerei.example", ""},
      {"our-domains", "m\xc3\xbc" "hlenbau.example", "a@xn--mh1enbau-65a.example", "confusable"},
      {"lookalike-protect", "b\xc3\xa4" "ckerei.example", "a@xn--bckerei-5wa.example", ""},
      {"lookalike-protect", "xn--mhlenbau-65a.example", "a@m\xc3\xbc" "h1enbau.example", "confusable"},
  };
  for (const auto& r : rows) {
    std::string value = r.value, from = r.from;
    CAPTURE(value);
    CAPTURE(from);
    Config cfg = make_config({{r.option, r.value}});
    std::string mail_from = std::string("<") + r.from + ">";
    CHECK(result_of(run(cfg, r.from, mail_from), "lookalike") == r.result);
  }
}
