// test_display_name.cc — the display-name check (milter/checks/display_name.cc):
// brands, our own name and addresses in the From display name, RFC 2047
// words, honest collisions.
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

std::string judge(const Config& cfg, const std::string& from_header) {
  const CheckInfo* info = check_info("display-name");
  REQUIRE(info);
  FakeResolver dns;
  Engine engine(cfg, dns, {info});
  Msg m;
  m.ip = "192.0.2.200";
  m.headers = {{"From", from_header}};
  Outcome o = run_message(engine, m);
  for (const auto& it : o.verdict.items) {
    // its table's points; more when its floor set the action (verdict.h)
    if (o.verdict.floor_by == "display-name:" + it.finding.result)
      CHECK(it.points <= cfg.points("display-name", it.finding.result));
    else
      CHECK(it.points == cfg.points("display-name", it.finding.result));
    CHECK(it.finding.detail.find('\n') == std::string::npos);
  }
  return result_of(o, "display-name");
}

}  // namespace

TEST_CASE("display-name: results per From field") {
  struct Row {
    const char* from;
    const char* result;
  };
  const Row rows[] = {
      {"PayPal <service@paypa1-secure.example>", "names-brand"},
      {"\"Microsoft account team\" <no-reply@account-ms.example>", "names-brand"},
      {"Microsoft 365 <wordpress@cafe-morgenrot.example>", "names-brand"},
      {"=?UTF-8?B?UGF5UGFs?= <a@x.example>", "names-brand"},                 // "PayPal"
      {"=?utf-8?Q?P=D0=B0yPal_Service?= <a@x.example>", "names-brand"},      // Cyrillic a
      {"=?iso-8859-1?q?Apple_Support?= <a@x.example>", "names-brand"},
      // any charset a mail client decodes (iconv): a Cyrillic o in "Microsoft", full-width PayPal
      {"=?windows-1251?B?TWljcu5zb2Z0IGFjY291bnQgdGVhbQ==?= <a@x.example>", "names-brand"},
      {"=?koi8-r?B?TWljcs9zb2Z0IGFjY291bnQgdGVhbQ==?= <a@x.example>", "names-brand"},
      {"=?ISO-8859-5?B?TWljct5zb2Z0IGFjY291bnQgdGVhbQ==?= <a@x.example>", "names-brand"},
      {"=?iso-2022-jp?B?GyRCI1AjYSN5I1AjYSNsGyhC?= <a@x.example>", "names-brand"},
      {"=?gbk?B?o9Cj4aP5o9Cj4aPs?= <a@x.example>", "names-brand"},
      {"=?Shift_JIS?B?gm+CgYKZgm+CgYKM?= <a@x.example>", "names-brand"},
      {"=?koi8-r?B?88XSx8XKIOnXwc7P1w==?= <a@x.example>", ""},  // Sergei Ivanov
      {"=?windows-1251?B?zuv84+A=?= <a@x.example>", ""},
      {"=?iso-2022-jp?B?GyRCOzNFRDkpTDNFORsoQg==?= <a@x.example>", ""},
      {"=?gb2312?B?1cXOsA==?= <a@x.example>", ""},
      {"=?windows-1252?B?TfxsbGVyIEdtYkg=?= <a@x.example>", ""},
      {"=?x-no-such-charset?B?UGF5UGFs?= <a@x.example>", "names-brand"},  // unknown: ASCII still read
      // styled letters of "fancy text" generators, read as the letters
      {"=?utf-8?B?8J2Qj/CdkJrwnZCy8J2Qj/CdkJrwnZClIFNlcnZpY2U=?= <a@x.example>", "names-brand"},  // bold
      {"=?utf-8?B?8J2Xo/Cdl67wnZiG8J2Xo/Cdl67wnZe5?= <a@x.example>", "names-brand"},  // sans-serif bold
      {"=?utf-8?B?8J2ZvPCdmpLwnZqM8J2am/CdmpjwnZqc8J2amPCdmo/wnZqdIGFjY291bnQgdGVhbQ==?= <a@x.example>", "names-brand"},  // monospace
      {"=?utf-8?B?4oSz8J2SvvCdkrjwnZOH4oS08J2TiOKEtPCdkrvwnZOJIGFjY291bnQgdGVhbQ==?= <a@x.example>", "names-brand"},  // script, letterlike gaps
      {"=?utf-8?B?4pOF4pOQ4pOo4pOf4pOQ4pOb?= <a@x.example>", "names-brand"},  // circled
      {"=?utf-8?B?8J+Fv/CfhbDwn4aI8J+Fv/CfhbDwn4W7IFNlcnZpY2U=?= <a@x.example>", "names-brand"},  // negative squared
      {"=?utf-8?B?4bSY4bSAyo/htJjhtIDKnyDqnLHhtIfKgOG0oMmq4bSE4bSH?= <a@x.example>", "names-brand"},  // small capitals
      {"=?utf-8?B?8J2QifCdkKjwnZCh8J2QpyDwnZCS8J2QpvCdkKLwnZCt8J2QoQ==?= <a@x.example>", ""},  // a person in bold
      {"=?utf-8?B?QW5uYSDwn4ep8J+HqiBNw7xsbGVy?= <a@x.example>", ""},  // flags stay flags
      {"=?../../etc?B?UGF5UGFs?= <a@x.example>", "names-brand"},  // not a charset name: no iconv, ASCII read
      {"=?koi8-r?B?/w==?= <a@x.example>", ""},                   // one byte: one letter
      {"\"Bank of America\" <alerts@boa-alerts.example>", "names-brand"},
      {"x@mailer.example (PayPal)", "names-brand"},
      {"\"Amazon.com\" <ship@track-parcel.example>", "names-brand"},
      {"\"alice@gmail.com\" <x@mailer.example>", "address-mismatch"},
      {"\"Support <help@bank.test>\" <x@mailer.example>", "address-mismatch"},
      {"Example IT Helpdesk <it@freemail.example>", "names-us"},  // our recipient domain example.net
      // a product name, or a brand's TLD spelled as a label, from elsewhere
      {"Dropbox Sign <no-reply@docs-share-portal.example>", "names-brand"},
      {"Microsoft Teams <no-reply@teams.mail-microsoft.com>", "names-brand"},
      {"PayPal <service@secure.paypal>", "names-brand"},  // no such TLD: anyone can write it
      {"Microsoft <x@mail.google>", "names-brand"},      // another brand's TLD
      // what the reader sees: invisible code points dropped, symbols and emoji as spaces
      {"Pay\xe2\x80\x8bPal <a@x.example>", "names-brand"},                  // zero-width space
      {"=?UTF-8?Q?Pay=C2=ADPal?= <a@x.example>", "names-brand"},              // soft hyphen
      {"\xe2\x80\xaePayPal\xe2\x80\xac <a@x.example>", "names-brand"},       // bidi override
      {"Micro\xe2\x80\x8dsoft account team <a@x.example>", "names-brand"},   // zero-width joiner
      {"PayPal\xc2\xae <a@x.example>", "names-brand"},                        // registered sign
      {"\"Microsoft\xe2\x84\xa2 Account Team\" <a@x.example>", "names-brand"},  // trade mark sign
      {"PayPal \xf0\x9f\x94\x92 <a@x.example>", "names-brand"},               // emoji
      {"\xe2\x9c\x85 Apple Support <a@x.example>", "names-brand"},
      {"PayPaI Service <a@x.example>", "names-brand"},                          // capital I for l
      {"PayPa| <a@x.example>", "names-brand"},
      {"LinkedIn <a@x.example>", "names-brand"},                                 // as written
      // letters spaced out (old code: no finding)
      {"P a y P a l <a@x.example>", "names-brand"},
      {"P.a.y.P.a.l Service <a@x.example>", "names-brand"},
      {"\"A m a z o n . c o m\" <a@x.example>", "names-brand"},
      {"M-i-c-r-o-s-o-f-t Account Team <a@x.example>", "names-brand"},
      {"P a y P a I <a@x.example>", "names-brand"},                             // both disguises
      // honest
      {"Apple Orchard Farm \xf0\x9f\x8d\x8e <hello@apple-orchard.example>", ""},
      {"Ian Isles <ian@x.example>", ""},
      {"J R R Tolkien Society <info@tolkien.example>", ""},                      // "JRR": no brand
      {"A. B. Smith <ab@x.example>", ""},
      {"P a y <a@x.example>", ""},
      {"P a y P a l <service@paypal.com>", ""},                                  // its own domain
      {"DHI Support <support@dhigroup.example>", ""},                            // not DHL
      {"LinkedIn <messages-noreply@linkedin.com>", ""},
      {"\xd9\x85\xd8\xb1\xdb\x8c\xd9\x85\xe2\x80\x8c\xd9\x87\xd8\xa7 <a@x.example>", ""},  // Persian name with ZWNJ
      {"PayPal Giving Fund \xe2\x9d\xa4 <donate@pgf.example>", ""},
      {"PayPal\xc2\xae <service@paypal.com>", ""},
      {"Microsoft <msa@communication.microsoft.com>", ""},
      {"Microsoft 365 Message center <o365mc@microsoft.com>", ""},
      {"\"Microsoft account team\" <account-security-noreply@accountprotection.microsoft.com>", ""},
      {"Microsoft <no-reply@email.microsoftonline.com>", ""},
      {"Microsoft OneDrive <no-reply@onedrive.com>", ""},
      {"DHL Paket <noreply@dpdhl.com>", ""},  // the group's own other domain (lookalike-protect)
      {"Dropbox Sign <noreply@mail.hellosign.com>", ""},  // Dropbox's product on its own other domain
      {"Microsoft Teams <no-reply@teams.mail.microsoft>", ""},  // the brand's own TLD (closed registry)
      {"Google <no-reply@about.google>", ""},
      {"DHL Express <noreply@mail.dhl>", ""},
      {"Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.example>", ""},
      {"Facebook <security@facebookmail.com>", ""},
      {"PayPal <service@paypal.de>", ""},
      {"PayPal <service@intl.paypal.com>", ""},
      {"Apple Orchard Farm <hello@apple-orchard.example>", ""},
      {"Cafe Amazonas <info@cafe-amazonas.example>", ""},
      {"PayPal Giving Fund <donate@pgf.example>", ""},
      {"Acme via Mailchimp <acme@mail.mcsv.net>", ""},
      {"Contoso IT - Microsoft 365 news <news@contoso-it.example>", ""},
      {"\"alice@gmail.com via Hikers\" <hikers@lists.example>", ""},
      {"'Eve Martin' via Hikers Club <hikers-club@googlegroups.com>", ""},
      {"\"alice@gmail.com\" <alice@gmail.com>", ""},
      {"\"Alice (alice@mail.gmail.com)\" <alice@gmail.com>", ""},
      {"Example IT <it@example.net>", ""},
      {"Example <it@example-group.example>", ""},
      {"bob@example.org", ""},
      {"<bob@example.org>", ""},
      // bad input: never throws, matches nothing
      {"=?utf-8?B?!!!?= <a@x.example>", ""},
      {"=?bogus?X?abc?= <a@x.example>", ""},
      {"\"unterminated <a@x.example>", ""},
      {"(((( <a@x.example>", ""},
      {"a@b@c (x", ""},
      {"", ""},
  };
  Config cfg = make_config();
  for (const auto& r : rows) {
    std::string from = r.from;
    CAPTURE(from);
    CHECK(judge(cfg, r.from) == r.result);
  }
}

TEST_CASE("display-name: a brand name over a look-alike of the same brand or a free-mail address quarantines") {
  const CheckInfo* info = check_info("display-name");
  Config cfg = make_config();
  FakeResolver dns;
  Engine engine(cfg, dns, {info});
  auto from = [&](const std::string& v) {
    Msg m;
    m.ip = "192.0.2.200";
    m.headers = {{"From", v}};
    return run_message(engine, m);
  };
  Outcome o = from("Microsoft account team <no-reply@microsoft-account-verify.example>");
  CHECK(result_of(o, "display-name") == "names-brand");
  CHECK(o.action == Action::quarantine);
  CHECK(o.verdict.floor_by == "display-name:names-brand");
  CHECK(from("PayPal <service@paypa1-secure.example>").action == Action::quarantine);
  CHECK(from("PayPal <service@paypal.com.secure-login.example>").action == Action::quarantine);
  // a brand name over an unrelated domain: points only
  CHECK(from("PayPal Service <pp.team2026@harbour-logistics.example>").action == Action::accept);
  // ... unless it is disguised: nobody writes their own name "PayPaI" or "P a y P a l" (old code:
  // accepted, "P a y P a l" without a finding)
  for (const char* v : {"PayPaI Service <pp.team2026@harbour-logistics.example>",
                        "P a y P a l Service <pp.team2026@harbour-logistics.example>",
                        "A.m.a.z.o.n Support <help@harbour-logistics.example>"}) {
    CAPTURE(std::string(v));
    o = from(v);
    CHECK(result_of(o, "display-name") == "names-brand");
    CHECK(o.action == Action::quarantine);
    CHECK(o.verdict.floor_by == "display-name:names-brand");
  }
  // ... but over a mailbox anyone opens (freemail-domains): a brand or we never write from there
  o = from("PayPal Service <pp.team2026@hotmail.com>");
  CHECK(o.action == Action::quarantine);
  CHECK(o.verdict.floor_by == "display-name:names-brand");
  CHECK(from("Microsoft 365 Security <admin@contoso7731.onmicrosoft.com>").action == Action::quarantine);
  CHECK(from("=?utf-8?B?8J2Xo/Cdl67wnZiG8J2Xo/Cdl67wnZe5IFNlcnZpY2U=?= <pp.service2026@hotmail.com>").verdict.floor_by == "display-name:names-brand");  // bold
  CHECK(from("\"Apple Support\" <apple.support.team@GMAIL.com.>").action == Action::quarantine);
  o = from("Example IT Helpdesk <example.helpdesk@gmail.com>");  // our recipient domain example.net
  CHECK(result_of(o, "display-name") == "names-us");
  CHECK(o.action == Action::quarantine);
  // a brand's or our address shown over free mail; over another domain: points only
  CHECK(from("\"security@paypal.com\" <pp.alerts2026@hotmail.com>").verdict.floor_by ==
        "display-name:names-brand");  // the brand's words already name it
  o = from("\"m.keller@example.net\" <m.keller.example@gmail.com>");  // our recipient domain
  CHECK(result_of(o, "display-name") == "address-mismatch");
  CHECK(o.verdict.floor_by == "display-name:address-mismatch");
  CHECK(from("\"security@paypal.com\" <alerts@mailer.example>").action == Action::accept);
  CHECK(from("\"alice@yahoo.com\" <alice.b@gmail.com>").action == Action::accept);  // no protected domain
  // honest free-mail senders and the software's own names there
  CHECK(from("Jane Doe <jane.doe@gmail.com>").action == Action::accept);
  CHECK(from("Microsoft Outlook <postmaster@contoso7731.onmicrosoft.com>").action == Action::accept);
  CHECK(from("PayPal Service <pp.team2026@hotmail.example>").action == Action::accept);
  auto action_with = [&](const std::string& option, const std::string& value, const std::string& from_value) {
    Config c = make_config({{option, value}});
    Engine e(c, dns, {info});
    Msg m;
    m.ip = "192.0.2.200";
    m.headers = {{"From", from_value}};
    return run_message(e, m).action;
  };
  CHECK(action_with("freemail-domains", "mailbox.example", "PayPal Service <pp.team2026@hotmail.com>") ==
        Action::accept);
  CHECK(action_with("freemail-domains", "mailbox.example", "PayPal Service <pp@x.mailbox.example>") ==
        Action::quarantine);
  // the brand's own domains stay the brand's
  CHECK(result_of(from("Microsoft <no-reply@microsoft-events.example>"), "display-name") == "");
  CHECK(action_with("lookalike-action", "none", "PayPal <service@paypa1-secure.example>") == Action::accept);
  CHECK(action_with("lookalike-action", "none", "PayPal Service <pp.team2026@hotmail.com>") == Action::accept);
}

TEST_CASE("display-name: the brands are lookalike-protect's; weights stay moderate") {
  Config cfg = make_config({{"lookalike-protect", "acme-bank.example"}});
  CHECK(judge(cfg, "Acme-Bank Online <x@mailer.example>") == "names-brand");
  CHECK(judge(cfg, "PayPal <x@mailer.example>") == "");
  // a bounce or receipt (null sender) is written by software: no finding
  {
    const CheckInfo* info = check_info("display-name");
    Config cfg = make_config();
    FakeResolver dns;
    Engine engine(cfg, dns, {info});
    Msg m;
    m.ip = "192.0.2.200";
    m.from = "<>";
    m.headers = {{"From", "Microsoft 365 <postmaster@contoso.example>"}};
    CHECK(result_of(run_message(engine, m), "display-name") == "");
    m.from = "<a@contoso.example>";
    CHECK(result_of(run_message(engine, m), "display-name") == "names-brand");
  }
  // a protected label that is itself a notice word names nobody
  Config word = make_config({{"our-domains", "support.example"}});
  CHECK(judge(word, "Customer Support <help@vendor.example>") == "");
  Config d = make_config();
  CHECK(d.points("display-name", "names-us") > d.points("display-name", "names-brand"));
  CHECK(d.points("display-name", "names-brand") > d.quarantine_below);
  CHECK(d.points("display-name", "address-mismatch") > d.quarantine_below);
}
