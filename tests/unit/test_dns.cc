// test_dns.cc — unit tests of the resolver layer without a network: DNS wire
// replies built with ldns mapped to DnsAnswer (answer_parse.cc), query-name
// checks, libunbound result mapping, forwarder strings, DnsLookup handles.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../milter/dns/answer_parse.h"
#include "../../milter/dns/unbound_options.h"
#include "legit/dns.h"

// stdbool.h first: without __bool_true_false_are_defined, ldns/common.h
// #defines bool, true and false for the rest of the file.
#include <stdbool.h>  // NOLINT
#include <ldns/ldns.h>

using namespace legit;
using legit::dns_detail::map_result;
using legit::dns_detail::parse_answer;
using legit::dns_detail::query_name;

namespace {

// A reply with `rcode` and the given answer-section records (zone-file text).
std::vector<std::uint8_t> reply(ldns_pkt_rcode rcode, const std::vector<std::string>& answers) {
  ldns_pkt* p = ldns_pkt_new();
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_rcode(p, rcode);
  for (const auto& text : answers) {
    ldns_rr* rr = nullptr;
    REQUIRE_MESSAGE(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK,
                    text);
    ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &size) == LDNS_STATUS_OK);
  std::vector<std::uint8_t> out(wire, wire + size);
  std::free(wire);
  ldns_pkt_free(p);
  return out;
}

struct ParseRow {
  const char* what;
  ldns_pkt_rcode rcode;
  std::vector<std::string> answers;
  DnsType type;
  DnsStatus status;
  std::vector<std::string> records;
  std::uint32_t ttl;
  const char* why;
};

}  // namespace

TEST_CASE("dns: parse_answer maps wire replies") {
  const char* n = "q.example. ";
  const std::vector<ParseRow> rows = {
      {"two A, ttl is the minimum", LDNS_RCODE_NOERROR,
       {std::string(n) + "300 IN A 192.0.2.1", std::string(n) + "60 IN A 192.0.2.2"},
       DnsType::A, DnsStatus::ok, {"192.0.2.1", "192.0.2.2"}, 60, ""},
      {"AAAA textual", LDNS_RCODE_NOERROR, {std::string(n) + "300 IN AAAA 2001:DB8::1"},
       DnsType::AAAA, DnsStatus::ok, {"2001:db8::1"}, 300, ""},
      {"MX lower-cased, no dot", LDNS_RCODE_NOERROR,
       {std::string(n) + "300 IN MX 10 MX.Example.ORG.", std::string(n) + "300 IN MX 20 b.example."},
       DnsType::MX, DnsStatus::ok, {"10 mx.example.org", "20 b.example"}, 300, ""},
      {"null MX", LDNS_RCODE_NOERROR, {std::string(n) + "300 IN MX 0 ."}, DnsType::MX,
       DnsStatus::ok, {"0 "}, 300, ""},
      {"TXT strings concatenated, records apart", LDNS_RCODE_NOERROR,
       {std::string(n) + "300 IN TXT \"v=spf1 \" \"ip4:192.0.2.0/24\" \" -all\"",
        std::string(n) + "300 IN TXT \"other\""},
       DnsType::TXT, DnsStatus::ok, {"v=spf1 ip4:192.0.2.0/24 -all", "other"}, 300, ""},
      {"TXT byte-exact (NUL, CR, quote)", LDNS_RCODE_NOERROR,
       {std::string(n) + "300 IN TXT \"a\\000b\\013\\\"c\""}, DnsType::TXT, DnsStatus::ok,
       {std::string("a\0b\r\"c", 6)}, 300, ""},
      {"SPF type 99", LDNS_RCODE_NOERROR, {std::string(n) + "300 IN SPF \"v=spf1 -all\""},
       DnsType::SPF, DnsStatus::ok, {"v=spf1 -all"}, 300, ""},
      {"PTR lower-cased", LDNS_RCODE_NOERROR, {std::string(n) + "300 IN PTR Mail.Example.COM."},
       DnsType::PTR, DnsStatus::ok, {"mail.example.com"}, 300, ""},
      {"PTR with NUL and space stays escaped", LDNS_RCODE_NOERROR,
       {std::string(n) + "300 IN PTR bad\\000na\\032me.example."}, DnsType::PTR, DnsStatus::ok,
       {"bad\\000na\\032me.example"}, 300, ""},
      {"NS", LDNS_RCODE_NOERROR, {std::string(n) + "300 IN NS ns1.example."}, DnsType::NS,
       DnsStatus::ok, {"ns1.example"}, 300, ""},
      {"CNAME chain, final A counts", LDNS_RCODE_NOERROR,
       {"a.example. 300 IN CNAME b.example.", "b.example. 300 IN CNAME c.example.",
        "c.example. 30 IN A 192.0.2.9"},
       DnsType::A, DnsStatus::ok, {"192.0.2.9"}, 30, ""},
      {"CNAME asked", LDNS_RCODE_NOERROR, {"a.example. 300 IN CNAME B.example."}, DnsType::CNAME,
       DnsStatus::ok, {"b.example"}, 300, ""},
      {"CNAME to nothing of the type", LDNS_RCODE_NOERROR, {"a.example. 300 IN CNAME b.example."},
       DnsType::TXT, DnsStatus::nodata, {}, 0, ""},
      {"other types only: NODATA", LDNS_RCODE_NOERROR, {std::string(n) + "300 IN A 192.0.2.1"},
       DnsType::MX, DnsStatus::nodata, {}, 0, ""},
      {"NODATA", LDNS_RCODE_NOERROR, {}, DnsType::A, DnsStatus::nodata, {}, 0, ""},
      {"NXDOMAIN", LDNS_RCODE_NXDOMAIN, {}, DnsType::A, DnsStatus::nxdomain, {}, 0, ""},
      {"SERVFAIL", LDNS_RCODE_SERVFAIL, {}, DnsType::A, DnsStatus::temperror, {}, 0, "SERVFAIL"},
      {"REFUSED", LDNS_RCODE_REFUSED, {}, DnsType::TXT, DnsStatus::temperror, {}, 0, "REFUSED"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.what) {
      auto wire = reply(row.rcode, row.answers);
      DnsAnswer a = parse_answer(wire.data(), wire.size(), row.type);
      CHECK(a.status == row.status);
      CHECK(a.records == row.records);
      CHECK(a.ttl == row.ttl);
      CHECK(a.why == row.why);
    }
  }
}

TEST_CASE("dns: parse_answer refuses garbage") {
  auto good = reply(LDNS_RCODE_NOERROR, {"q.example. 300 IN A 192.0.2.1"});
  const std::vector<std::pair<const char*, std::vector<std::uint8_t>>> rows = {
      {"empty", {}},
      {"three bytes", {1, 2, 3}},
      {"truncated reply", std::vector<std::uint8_t>(good.begin(), good.end() - 3)},
      {"header claims records", {0, 1, 0x81, 0x80, 0, 0, 0, 5, 0, 0, 0, 0}},
  };
  for (const auto& [what, wire] : rows) {
    SUBCASE(what) {
      DnsAnswer a = parse_answer(wire.data(), wire.size(), DnsType::A);
      CHECK(a.status == DnsStatus::malformed);
      CHECK(a.records.empty());
    }
  }
  CHECK(parse_answer(nullptr, 0, DnsType::A).status == DnsStatus::malformed);
}

TEST_CASE("dns: negative answers carry the negative TTL") {
  auto nx = reply(LDNS_RCODE_NXDOMAIN, {});
  CHECK(parse_answer(nx.data(), nx.size(), DnsType::A, 60).ttl == 60);
  auto nodata = reply(LDNS_RCODE_NOERROR, {});
  CHECK(parse_answer(nodata.data(), nodata.size(), DnsType::A, 90).ttl == 90);
}

TEST_CASE("dns: query names") {
  struct Row {
    std::string name;
    std::optional<std::string> want;  // presentation form; nullopt = refused
    std::string why;
  };
  const std::string l63(63, 'a');
  const std::string n253 = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  const std::vector<Row> rows = {
      {"example.org", "example.org.", ""},
      {"Example.ORG.", "Example.ORG.", ""},
      {"_dmarc.example.org", "_dmarc.example.org.", ""},
      {"sel._domainkey.example.org", "sel._domainkey.example.org.", ""},
      {"macro%percent  space.example", "macro\\037percent\\032\\032space.example.", ""},
      {"back\\slash.example", "back\\092slash.example.", ""},
      {std::string("nul\0byte.example", 16), "nul\\000byte.example.", ""},
      {"foo:bar/baz.example.com", "foo\\058bar\\047baz.example.com.", ""},
      {l63 + ".example", l63 + ".example.", ""},
      {n253, n253 + ".", ""},
      {n253 + "b", std::nullopt, "name too long"},
      {std::string(64, 'a') + ".example", std::nullopt, "label too long"},
      {"", std::nullopt, "empty name"},
      {".", std::nullopt, "empty name"},
      {"a..b", std::nullopt, "empty label"},
      {".a", std::nullopt, "empty label"},
      {"a.b..", std::nullopt, "empty label"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name.substr(0, 40).c_str()) {
      std::string why;
      auto got = query_name(row.name, &why);
      CHECK(got.value_or("<refused>") == row.want.value_or("<refused>"));
      CHECK(why == row.why);
    }
  }
}

TEST_CASE("dns: libunbound result mapping") {
  auto ok = reply(LDNS_RCODE_NOERROR, {"q.example. 300 IN TXT \"hi\""});
  dns_detail::ResultView v;
  SUBCASE("error code") {
    v.err = -2;
    v.err_text = "socket error";
    auto a = map_result(v, DnsType::TXT);
    CHECK(a.status == DnsStatus::temperror);
    CHECK(a.why == "socket error");
  }
  SUBCASE("bogus") {
    v.bogus = true;
    v.packet = ok.data();
    v.packet_len = ok.size();
    CHECK(map_result(v, DnsType::TXT).why == "bogus");
  }
  SUBCASE("packet decides") {
    v.packet = ok.data();
    v.packet_len = ok.size();
    v.havedata = true;
    auto a = map_result(v, DnsType::TXT);
    CHECK(a.status == DnsStatus::ok);
    CHECK(a.records == std::vector<std::string>{"hi"});
  }
  SUBCASE("no packet: flags decide") {
    v.nxdomain = true;
    v.rcode = 3;
    CHECK(map_result(v, DnsType::A).status == DnsStatus::nxdomain);
    v = {};
    v.rcode = 2;
    CHECK(map_result(v, DnsType::A).why == "SERVFAIL");
    v = {};
    CHECK(map_result(v, DnsType::A).status == DnsStatus::nodata);
  }
}

TEST_CASE("dns: forwarder strings") {
  const std::vector<std::pair<const char*, const char*>> rows = {
      {"127.0.0.1", "127.0.0.1"},     {"127.0.0.1@5353", "127.0.0.1@5353"},
      {"::1@53", "::1@53"},           {"2001:DB8::1", "2001:db8::1"},
      {"1.2.3.4@0", nullptr},         {"1.2.3.4@65536", nullptr},
      {"1.2.3.4@53x", nullptr},       {"1.2.3.4@", nullptr},
      {"@53", nullptr},               {"dns.example", nullptr},
      {"", nullptr},                  {"IPv6:::1", nullptr},
  };
  for (const auto& [in, want] : rows) {
    SUBCASE(in) {
      auto got = dns_detail::forwarder(in);
      if (want == nullptr) CHECK_FALSE(got.has_value());
      else CHECK(got.value_or("?") == want);
    }
  }
}

TEST_CASE("dns: default local zones include the documentation ones") {
  auto zones = dns_detail::default_local_zones();
  for (const char* z : {"test.", "invalid.", "2.0.192.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
                        "10.in-addr.arpa.", "31.172.in-addr.arpa.", "127.100.in-addr.arpa."})
    CHECK(std::find(zones.begin(), zones.end(), z) != zones.end());
}

TEST_CASE("dns: unbound resolver construction") {
  SUBCASE("bad server names it") {
    ResolverOptions o;
    o.servers = {"127.0.0.1@53", "not-an-ip"};
    try {
      make_unbound_resolver(o);
      FAIL("no exception");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("not-an-ip") != std::string::npos);
    }
  }
  SUBCASE("invalid names answer malformed at once, no query sent") {
    ResolverOptions o;
    o.servers = {"127.0.0.1@9"};
    auto r = make_unbound_resolver(o);
    auto l = r->lookup("a..example", DnsType::A);
    CHECK(l.is_ready());
    CHECK(l.get().status == DnsStatus::malformed);
    CHECK(l.get().why == "empty label");
    CHECK(r->lookup(std::string(300, 'a'), DnsType::TXT).get().why == "name too long");
  }
}

TEST_CASE("dns: DnsLookup handles") {
  SUBCASE("default handle is temperror") {
    DnsLookup l;
    CHECK_FALSE(l.valid());
    CHECK_FALSE(l.is_ready());
    CHECK(l.get().status == DnsStatus::temperror);
  }
  SUBCASE("ready handle, copied, read twice") {
    DnsAnswer a;
    a.status = DnsStatus::ok;
    a.records = {"192.0.2.1"};
    a.ttl = 5;
    DnsLookup l = DnsLookup::ready(a);
    DnsLookup copy = l;
    CHECK(l.is_ready());
    CHECK(l.get().records == a.records);
    CHECK(copy.get().records == a.records);
    CHECK(copy.get().ttl == 5);
  }
  SUBCASE("pending handle becomes ready") {
    std::promise<DnsAnswer> p;
    DnsLookup l(p.get_future().share());
    CHECK(l.valid());
    CHECK_FALSE(l.is_ready());
    p.set_value(DnsAnswer::of(DnsStatus::nxdomain));
    CHECK(l.is_ready());
    CHECK(l.get().status == DnsStatus::nxdomain);
  }
}

TEST_CASE("dns: names of types and statuses") {
  const std::vector<std::pair<DnsType, const char*>> types = {
      {DnsType::A, "A"},     {DnsType::NS, "NS"},   {DnsType::CNAME, "CNAME"},
      {DnsType::PTR, "PTR"}, {DnsType::MX, "MX"},   {DnsType::TXT, "TXT"},
      {DnsType::AAAA, "AAAA"}, {DnsType::SPF, "SPF"}};
  for (auto [t, s] : types) CHECK(std::string(to_string(t)) == s);
  const std::vector<std::pair<DnsStatus, const char*>> statuses = {
      {DnsStatus::ok, "ok"}, {DnsStatus::nxdomain, "nxdomain"}, {DnsStatus::nodata, "nodata"},
      {DnsStatus::temperror, "temperror"}, {DnsStatus::malformed, "malformed"}};
  for (auto [st, s] : statuses) CHECK(std::string(to_string(st)) == s);
}
