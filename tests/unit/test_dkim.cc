// test_dkim.cc — the dkim check (milter/checks/dkim.cc, dkim_verifier.cc):
// results per key-lookup situation, Postfix-style header values under simple
// canonicalisation, key prefetch at on_header, the per-message limits and
// hostile DKIM-Signature headers. The signed messages below were made once
// with python3-dkim and a throwaway ed25519 key (only its public half is
// here); the integration test signs fresh RSA/ed25519 messages every run.
#include "../../milter/checks/dkim_verifier.h"
#include "legit/headers.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

const char* const kKey = "v=DKIM1; k=ed25519; p=gCCyi7dkliT6yozsdVI3wynoYddSpi+crwrfGuFz1M4=";
const char* const kOtherKey = "v=DKIM1; k=ed25519; p=SgdIpEI0mpC8vCBmmgm9k7PA8Blv7/S9g102lAOKl48=";
const char* const kKeyName = "ed._domainkey.unit.test";

// Values as Postfix passes them: one space after the colon eaten, "\n" folds.
const char* const kSigRelaxed =
    "v=1; a=ed25519-sha256; c=relaxed/simple; d=unit.test;\n"
    " i=@unit.test; q=dns/txt; s=ed; t=1795428060; h=from : to : subject;\n"
    " bh=zS7KNTV0HyeorkDDGwxB1AV6enuRKzO5rthkhdHIRnY=;\n"
    " b=gpOcH2goxuaqN/A7UMz+O1jkUz/HPzWiCSecpCFvOasvmp8p/WxV6gZbhCKN6vVAUnUs7\n"
    " Gw9CViuCy5iqY6SDg==";
const char* const kSigSimple =
    "v=1; a=ed25519-sha256; c=simple/simple; d=unit.test;\n"
    " i=@unit.test; q=dns/txt; s=ed; t=1795428060; h=from : to : subject;\n"
    " bh=zS7KNTV0HyeorkDDGwxB1AV6enuRKzO5rthkhdHIRnY=;\n"
    " b=2+Muyj7Wm08kuJD5xFFgLN5gDwqh7CKIFWng5/TQZzeNYnoMAh0ejvP9/nyhbi91kfhBF\n"
    " r4YSTxO7kJAZFXUAw==";

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers signed_headers(const std::string& sig, const std::string& subject = "Unit test") {
  return {{"DKIM-Signature", sig},
          {"From", "Alice <alice@unit.test>"},
          {"To", "bob@example.net"},
          {"Subject", subject}};
}

const CheckInfo* dkim_info() {
  for (const auto& c : check_registry())
    if (c.name == "dkim") return &c;
  return nullptr;
}

struct Run {
  Outcome outcome;
  std::string result, detail, ar;
};

Run run(FakeResolver& dns, const Headers& headers, std::map<std::string, std::string> opts = {}) {
  Config cfg = make_config(std::move(opts));
  Engine engine(cfg, dns, {dkim_info()});
  Msg m;
  m.ip = "203.0.113.200";
  m.headers = headers;
  Run r{run_message(engine, m), "", "", ""};
  for (const auto& it : r.outcome.verdict.items)
    if (it.finding.check == "dkim") r.result = it.finding.result, r.detail = it.finding.detail;
  r.ar = r.outcome.adds.at(1).second;
  return r;
}

}  // namespace

TEST_CASE("dkim: results per key-lookup situation") {
  struct Row {
    const char* name;
    std::function<void(FakeResolver&)> zone;
    Headers headers;
    const char* result;
  };
  const Row rows[] = {
      {"pass", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {kKey}); }, signed_headers(kSigRelaxed), "pass"},
      {"pass, key among other TXT records", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {"junk", kKey}); },
       signed_headers(kSigRelaxed), "pass"},
      {"pass, key after a record without p=", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {"v=DKIM1; k=ed25519; ip=x", kKey}); },
       signed_headers(kSigRelaxed), "pass"},
      // RFC 6376 §3.6.2.2: two key records are ambiguous, in either order.
      {"two key records (good first)", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {kKey, kOtherKey}); },
       signed_headers(kSigRelaxed), "permerror"},
      {"two key records (good last)", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {kOtherKey, kKey}); },
       signed_headers(kSigRelaxed), "permerror"},
      {"two key records, one revoked", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {kKey, "v=DKIM1; p="}); },
       signed_headers(kSigRelaxed), "permerror"},
      {"wrong key", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {kOtherKey}); }, signed_headers(kSigRelaxed), "fail"},
      {"header tampered", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {kKey}); },
       signed_headers(kSigRelaxed, "Unit tost"), "fail"},
      {"key timeout", [](FakeResolver& f) { f.set(kKeyName, DnsType::TXT, DnsStatus::temperror, "timeout"); },
       signed_headers(kSigRelaxed), "temperror"},
      {"no key (NXDOMAIN)", [](FakeResolver&) {}, signed_headers(kSigRelaxed), "permerror"},
      {"key NODATA", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {}); }, signed_headers(kSigRelaxed), "permerror"},
      {"revoked key", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {"v=DKIM1; k=ed25519; p="}); },
       signed_headers(kSigRelaxed), "permerror"},
      {"malformed answer", [](FakeResolver& f) { f.set(kKeyName, DnsType::TXT, DnsStatus::malformed); },
       signed_headers(kSigRelaxed), "permerror"},
      {"garbage key", [](FakeResolver& f) { f.add(kKeyName, DnsType::TXT, {std::string(3000, '=')}); },
       signed_headers(kSigRelaxed), "permerror"},
      {"unsigned", [](FakeResolver&) {}, {{"From", "alice@unit.test"}}, "none"},
      {"no headers at all", [](FakeResolver&) {}, {}, "none"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      r.zone(dns);
      Run got = run(dns, r.headers);
      INFO(got.detail);
      CHECK(got.result == r.result);
      CHECK(got.outcome.verdict.items.front().points == make_config().points("dkim", r.result));
      CHECK(got.ar.find(std::string("dkim=") + r.result) != std::string::npos);
      if (std::string(r.name).rfind("two key records", 0) == 0)
        CHECK(got.detail.find("multiple key records") != std::string::npos);
    }
  }
}

TEST_CASE("dkim: A-R names every signature, the best one scores") {
  FakeResolver dns;
  dns.add(kKeyName, DnsType::TXT, {kKey});
  dns.add("ed._domainkey.other.test", DnsType::TXT, {kKey});
  Headers h = signed_headers(kSigRelaxed);
  std::string bad = kSigRelaxed;
  bad.replace(bad.find("d=unit.test"), 11, "d=other.test");
  bad.replace(bad.find("i=@unit.test"), 12, "i=@other.test");
  h.insert(h.begin(), {"DKIM-Signature", bad});
  Run got = run(dns, h);
  INFO(got.ar);
  CHECK(got.result == "pass");
  CHECK(got.ar.find("dkim=fail") != std::string::npos);
  std::string unfolded;
  for (char c : got.ar)
    if (c != '\n') unfolded += c == '\t' ? ' ' : c;
  CHECK(unfolded.find("dkim=pass header.d=unit.test header.s=ed header.a=ed25519-sha256 header.b=gpOcH2go") !=
        std::string::npos);
  CHECK(got.outcome.verdict.items.size() == 1);
}

TEST_CASE("dkim: simple canonicalisation with Postfix-style header values") {
  FakeResolver dns;
  dns.add(kKeyName, DnsType::TXT, {kKey});
  // "Subject:  two  spaces\r\n\tand a fold": Postfix eats one space.
  CHECK(run(dns, signed_headers(kSigSimple, " two  spaces\n\tand a fold")).result == "pass");
  CHECK(run(dns, signed_headers(kSigSimple, "two  spaces\n\tand a fold")).result == "fail");
}

TEST_CASE("dkim: header_line rebuilds what the signer saw") {
  const struct {
    const char* name;
    const char* value;
    const char* line;
  } rows[] = {
      {"Subject", "hi", "Subject: hi"},
      {"Subject", " two", "Subject:  two"},
      {"Subject", "\tx", "Subject:\tx"},
      {"Subject", "\n\tx", "Subject:\r\n\tx"},
      {"Subject", "a\n b\n c", "Subject: a\r\n b\r\n c"},
      {"Subject", "a\r\n b", "Subject: a\r\n b"},
      {"Subject", "", "Subject: "},
  };
  for (const auto& r : rows) {
    SUBCASE(r.line) { CHECK(dkim::header_line(r.name, r.value) == r.line); }
  }
}

TEST_CASE("dkim: the key lookup starts when the DKIM-Signature arrives") {
  FakeResolver dns;
  dns.add(kKeyName, DnsType::TXT, {kKey});
  Config cfg = make_config();
  Engine engine(cfg, dns, {dkim_info()});
  auto d = engine.open();
  d->connect("unknown", "203.0.113.200");
  d->helo("mail.unit.test");
  d->mail_from("<alice@unit.test>", "");
  d->rcpt("<bob@example.net>");
  d->header("DKIM-Signature", kSigRelaxed);
  CHECK(dns.was_asked(kKeyName, DnsType::TXT));
  for (const auto& [n, v] : signed_headers(kSigRelaxed))
    if (n != "DKIM-Signature") d->header(n, v);
  d->end_of_headers();
  d->body("hello\r\n");
  d->end_of_message("Q1");
  const auto& facts = d->session().msg.auth.dkim;
  REQUIRE(facts.size() == 1);
  CHECK(facts[0].domain == "unit.test");
  CHECK(facts[0].selector == "ed");
  CHECK(facts[0].result == "pass");
  // The next message on the connection starts clean.
  d->mail_from("<alice@unit.test>", "");
  d->header("From", "alice@unit.test");
  d->end_of_headers();
  CHECK(result_of(d->end_of_message("Q2"), "dkim") == "none");
}

TEST_CASE("dkim: limits per message") {
  FakeResolver dns;
  dns.add(kKeyName, DnsType::TXT, {kKey});
  SUBCASE("dkim-max-signatures: later signatures are neither looked up nor evaluated") {
    Headers h = signed_headers(kSigRelaxed);
    for (const char* d : {"a.test", "b.test"}) {
      std::string s = kSigRelaxed;
      s.replace(s.find("d=unit.test"), 11, std::string("d=") + d);
      h.push_back({"DKIM-Signature", s});
    }
    Run got = run(dns, h, {{"dkim-max-signatures", "2"}});
    CHECK(got.result == "pass");
    CHECK(dns.was_asked("ed._domainkey.a.test", DnsType::TXT));
    CHECK_FALSE(dns.was_asked("ed._domainkey.b.test", DnsType::TXT));
    CHECK(got.detail.find("1 more signature(s) not evaluated") != std::string::npos);
  }
  SUBCASE("dkim-max-body-bytes: a signature needing more body is neutral") {
    Run got = run(dns, signed_headers(kSigRelaxed), {{"dkim-max-body-bytes", "3"}});
    CHECK(got.result == "neutral");
    CHECK(got.detail.find("body too large to verify") != std::string::npos);
  }
  SUBCASE("the header limits: past them nothing is verified (neutral), below them a pass") {
    Headers h = signed_headers(kSigRelaxed);
    for (int i = 0; i < 40; ++i) h.push_back({"X-Filler", "filler " + std::to_string(i)});
    CHECK(run(dns, h, {{"dkim-max-header-fields", "44"}}).result == "pass");
    Run got = run(dns, h, {{"dkim-max-header-fields", "43"}});
    CHECK(got.result == "neutral");
    CHECK(got.detail == "1 signature(s) not evaluated: header section too large to verify "
                        "(over 43 header fields)");
    CHECK(got.ar.find("dkim=neutral") != std::string::npos);  // the comment may be folded
    got = run(dns, h, {{"dkim-max-header-bytes", "1024"}});
    CHECK(got.result == "neutral");
    CHECK(got.detail.find("over 1024 bytes of header") != std::string::npos);
    h.erase(h.begin());  // unsigned: still "none"
    CHECK(run(dns, h, {{"dkim-max-header-fields", "10"}}).result == "none");
  }
  SUBCASE("bad option values are refused") {
    std::string err;
    CHECK_FALSE(config_from({{"dkim-max-header-bytes", "1023"}}, &err));
    CHECK_FALSE(config_from({{"dkim-max-header-fields", "9"}}, &err));
    CHECK_FALSE(config_from({{"dkim-max-signatures", "0"}}, &err));
    CHECK_FALSE(config_from({{"dkim-max-signatures", "2.5"}}, &err));
    CHECK_FALSE(config_from({{"dkim-max-body-bytes", "-1"}}, &err));
  }
}

TEST_CASE("dkim: hostile DKIM-Signature headers never pass and never crash") {
  const std::string hostile[] = {
      "",
      "v=1; a=rsa-sha256; d=unit.test; h=from",  // no s=, b=, bh=
      "v=1; a=rsa-sha256; d=" + std::string(300, 'a') + "; s=x; h=from; bh=AA==; b=AA==",
      "v=1; a=rsa-sha256; d=\xc3\xa9xample.test; s=s\xff; h=from; bh=AA==; b=AA==",
      std::string("v=1; a=rsa-sha256; d=unit.test\0.evil; s=ed; h=from; bh=AA==; b=AA==", 62),
      "v=1; a=rsa-sha256; d=UNIT.TEST.; s=ED; h=from\r\nX-Injected: yes; bh=AA==; b=AA==",
      "v=1; a=ed25519-sha256; d=unit.test; s=ed; h=from; bh=; b=",
      std::string(5000, ';'),
      "d=;s=;=;==;a",
  };
  for (const auto& v : hostile) {
    SUBCASE(quote_untrusted(v, 40).c_str()) {
      FakeResolver dns;
      dns.add(kKeyName, DnsType::TXT, {kKey});
      Run got = run(dns, {{"DKIM-Signature", v}, {"From", "alice@unit.test"}});
      CHECK(got.result != "pass");
      CHECK(got.result != "");
      CHECK(got.ar.find('\r') == std::string::npos);
    }
  }
}

// RFC 6376 §6.3: a signature that fails is to be treated like no signature;
// lists (footers, subject tags) and forwarders break honest ones daily.
TEST_CASE("dkim: a broken signature is weak evidence: at most half a point against") {
  Config cfg = make_config();
  CHECK(cfg.points("dkim", "fail") < 0);
  CHECK(cfg.points("dkim", "fail") >= -0.5);
}
