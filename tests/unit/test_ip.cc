// test_ip.cc — IpAddress and Network (milter/core/ip.cc).
#include <doctest/doctest.h>

#include "legit/ip.h"

using legit::IpAddress;
using legit::Network;

TEST_CASE("ip: parse and print") {
  struct Row { const char* in; const char* out; };
  const Row rows[] = {
      {"192.0.2.1", "192.0.2.1"},         {"2001:db8::1", "2001:db8::1"},
      {"IPv6:2001:DB8::1", "2001:db8::1"}, {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},             {"::", "::"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.in) {
      auto ip = IpAddress::parse(r.in);
      REQUIRE(ip);
      CHECK(ip->to_string() == r.out);
    }
  }
}

TEST_CASE("ip: hostile input is refused") {
  const char* bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "[1.2.3.4]",
                       "example.org", "2001:db8::1::2", "1.2.3.4/24", "IPv6:", "::1%eth0",
                       "0x7f.0.0.1", "\xff\xfe"};
  for (const char* b : bad) {
    SUBCASE(b) { CHECK_FALSE(IpAddress::parse(b)); }
  }
  std::string with_nul("1.2.3.4\0", 8);
  CHECK_FALSE(IpAddress::parse(with_nul));
}

TEST_CASE("ip: reverse names") {
  CHECK(IpAddress::parse("192.0.2.1")->reverse_name() == "1.2.0.192.in-addr.arpa");
  CHECK(IpAddress::parse("2001:db8::1")->reverse_name() ==
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  CHECK(IpAddress::parse("::ffff:192.0.2.1")->unmapped().to_string() == "192.0.2.1");
  CHECK(IpAddress::parse("2001:db8::1")->unmapped().to_string() == "2001:db8::1");
}

TEST_CASE("ip: networks") {
  struct Row { const char* net; const char* ip; bool in; };
  const Row rows[] = {
      {"127.0.0.0/8", "127.0.0.1", true},     {"127.0.0.0/8", "128.0.0.1", false},
      {"192.0.2.0/25", "192.0.2.127", true},  {"192.0.2.0/25", "192.0.2.128", false},
      {"::1/128", "::1", true},               {"::1/128", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true}, {"2001:db8::/32", "2001:db9::1", false},
      {"0.0.0.0/0", "203.0.113.9", true},     {"127.0.0.0/8", "::ffff:127.0.0.1", true},
      {"192.0.2.7", "192.0.2.7", true},       {"192.0.2.7", "192.0.2.8", false},
      {"10.0.0.0/8", "::1", false},
  };
  for (const auto& r : rows) {
    SUBCASE((std::string(r.net) + " " + r.ip).c_str()) {
      auto n = Network::parse(r.net);
      REQUIRE(n);
      CHECK(n->contains(*IpAddress::parse(r.ip)) == r.in);
    }
  }
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "/8", "10.0.0.0/-1", "10/8"}) {
    SUBCASE(bad) { CHECK_FALSE(Network::parse(bad)); }
  }
  std::string badtext;
  CHECK_FALSE(legit::parse_networks({"127.0.0.0/8", "nope"}, &badtext));
  CHECK(badtext == "nope");
}

#include "legit/domain.h"

TEST_CASE("domain: registrable domains") {
  struct Row { const char* in; const char* out; };
  const Row rows[] = {
      {"mail.example.co.uk", "example.co.uk"}, {"cpe-192-181-15-33.kya.res.rr.com", "rr.com"},
      {"MAIL.Example.COM.", "example.com"},    {"example.com", "example.com"},
      {"com", ""}, {"localhost", ""}, {"", ""}, {"co.uk", ""},
  };
  for (const auto& r : rows) {
    SUBCASE(r.in) { CHECK(legit::registrable_domain(r.in) == r.out); }
  }
  CHECK(legit::same_registrable_domain("a.example.com", "b.example.com"));
  CHECK_FALSE(legit::same_registrable_domain("com", "com"));
  CHECK_FALSE(legit::same_registrable_domain("a.example.com", "a.example.org"));
}

TEST_CASE("domain: ICANN registrable domains leave the PSL's private section out") {
  struct Row { const char* in; const char* full; const char* icann; };
  const Row rows[] = {
      // The provider's private suffix makes the whole instance name registrable.
      {"ec2-3-120-45-67.eu-central-1.compute.amazonaws.com", "", "amazonaws.com"},
      {"172-105-1-2.ip.linodeusercontent.com", "", "linodeusercontent.com"},
      {"myvm.cloudapp.net", "", "cloudapp.net"},
      {"mail.example.co.uk", "example.co.uk", "example.co.uk"},
      {"MAIL.Example.COM.", "example.com", "example.com"},
      {"a.b.city.kawasaki.jp", "city.kawasaki.jp", "city.kawasaki.jp"},  // ICANN exception rule
      {"x.y.foo.kawasaki.jp", "y.foo.kawasaki.jp", "y.foo.kawasaki.jp"},  // ICANN wildcard
      {"foo.example", "foo.example", "foo.example"},
      {"com", "", ""}, {"co.uk", "", ""}, {"localhost", "", ""}, {"", "", ""}, {".", "", ""},
  };
  for (const auto& r : rows) {
    SUBCASE(r.in) {
      if (*r.full) CHECK(legit::registrable_domain(r.in) == r.full);
      CHECK(legit::icann_registrable_domain(r.in) == r.icann);
    }
  }
  CHECK(legit::icann_registrable_domain(std::string("a\0b.example.com", 15)) == "");
}

TEST_CASE("domain: ICANN top-level domains, no implicit * rule") {
  for (const char* yes : {"com", "DE", "microsoft", "google", "dhl", "com."}) CHECK(legit::icann_tld(yes));
  for (const char* no : {"paypal", "example", "invalid-tld", "co.uk", "", "."}) CHECK_FALSE(legit::icann_tld(no));
  CHECK_FALSE(legit::icann_tld(std::string("com\0x", 5)));
}

TEST_CASE("domain: each thread's kept answers stay right past their 16 slots") {
  // 40 names asked three times over, interleaved with case variants and
  // names without a registrable domain: every answer is the lookup's.
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 40; ++i) {
      std::string n = "host" + std::to_string(i) + ".sub.example" + std::to_string(i % 7) + ".co.uk";
      CHECK(legit::registrable_domain(n) == "example" + std::to_string(i % 7) + ".co.uk");
      std::string upper = "MAIL.Example" + std::to_string(i) + ".COM.";
      CHECK(legit::registrable_domain(upper) == "example" + std::to_string(i) + ".com");
      CHECK(legit::registrable_domain(i % 2 ? "co.uk" : "com").empty());
      CHECK(legit::registrable_domain(std::string(300, 'a') + ".example.org") == "example.org");  // not kept
    }
}
