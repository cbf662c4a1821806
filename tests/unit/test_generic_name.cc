// test_generic_name.cc — the generic/dynamic host name classifier
// (milter/checks/generic_name.cc) from a table of real-looking names,
// known false positives of other filters, and hostile input.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "../../milter/checks/generic_name.h"
#include "test_helpers.h"

using namespace legit;

namespace {

struct Row {
  const char* name;
  const char* ip;  // "" = no address to look for
  NameShape want;
};

}  // namespace

TEST_CASE("generic_name: classify_name") {
  const Row rows[] = {
      {"cpe-192-181-15-33.kya.res.rr.com", "192.181.15.33", NameShape::generic},
      {"192-0-2-1.broadband.customers.example.com", "192.0.2.1", NameShape::generic},
      {"s72-38-252-2.static.datacom.cgocable.net", "72.38.252.2", NameShape::generic_static},
      {"host-33.15.181.192.example.net", "192.181.15.33", NameShape::generic},
      {"c0a80101.dynamic.example.net", "192.168.1.1", NameShape::generic},
      {"ip-c0a80101.example.net", "192.168.1.1", NameShape::generic},
      {"072-038-252-002.example.net", "72.38.252.2", NameShape::generic},
      {"h072038252002.example.net", "72.38.252.2", NameShape::generic},
      {"mail-72-38-252-2.example.net", "72.38.252.2", NameShape::generic_static},
      {"1-2-3-4.example.net", "1.2.3.4", NameShape::generic},
      {"dhcp-7781.isp.example.net", "", NameShape::generic},
      {"ppp123.isp.example.net", "", NameShape::generic},
      {"abc.dyn.pool.isp.example.net", "", NameShape::generic},
      {"dsl-static-12345.isp.example.net", "", NameShape::generic_static},
      {"UPPER-192-0-2-7.DSL.Example.COM.", "192.0.2.7", NameShape::generic},
      {"2001-db8-a1--5.pool.example.net", "2001:db8:a1::5", NameShape::generic},
      {"x20010db800a10000000000000000005.example.net", "2001:db8:a1::5", NameShape::plain},
      {"x20010db800a100000000000000000005.example.net", "2001:db8:a1::5", NameShape::generic},
      // Cloud and hosting defaults: judged by the ICANN registrable domain, so
      // a private-section suffix (*.compute.amazonaws.com) hides nothing.
      {"ec2-3-120-45-67.eu-central-1.compute.amazonaws.com", "3.120.45.67", NameShape::generic},
      {"ec2-54-87-1-2.compute-1.amazonaws.com", "54.87.1.2", NameShape::generic},
      {"ec2-52-80-1-2.cn-north-1.compute.amazonaws.com.cn", "52.80.1.2", NameShape::generic},
      {"172-105-1-2.ip.linodeusercontent.com", "172.105.1.2", NameShape::generic},
      {"67.45.120.34.bc.googleusercontent.com", "34.120.45.67", NameShape::generic},
      {"45.76.1.2.vultrusercontent.com", "45.76.1.2", NameShape::generic},
      {"static.34.12.198.88.clients.your-server.de", "88.198.12.34", NameShape::generic_static},
      {"mail.example.cloudapp.net", "20.1.2.3", NameShape::plain},
      {"li123-45.members.linode.com", "172.105.1.2", NameShape::plain},
      {"ec2-3-120-45-67.eu-central-1.compute.amazonaws.com", "3.120.45.68", NameShape::plain},
      // Plain names, including rspamd's known false positives.
      {"mail.example.com", "192.0.2.1", NameShape::plain},
      {"dyn.com", "192.0.2.1", NameShape::plain},
      {"www.dyn.com", "192.0.2.1", NameShape::plain},
      {"mx.dynamicsolutions.example", "192.0.2.1", NameShape::plain},
      {"mail.example.online", "192.0.2.1", NameShape::plain},
      {"smtp.example.host", "192.0.2.1", NameShape::plain},
      {"host1.example.com", "192.0.2.1", NameShape::plain},
      {"mail.dynamic.example.net", "", NameShape::plain},
      {"mx-2.dsl.example.net", "", NameShape::plain},
      {"smtp-192-0-2-1.example.net", "198.51.100.1", NameShape::plain},
      {"a1-2-3-4.example.net", "1.2.3.5", NameShape::plain},
      // Hostile input.
      {"", "192.0.2.1", NameShape::plain},
      {"bad name.example.com", "192.0.2.1", NameShape::plain},
      {"under_score-192-0-2-1.example.com", "192.0.2.1", NameShape::plain},
      {"caf\xc3\xa9-192-0-2-1.example.com", "192.0.2.1", NameShape::plain},
      {"nul\0x.example.com", "192.0.2.1", NameShape::plain},
      {"crlf\r\n.example.com", "192.0.2.1", NameShape::plain},
      {"a..b.example.com", "192.0.2.1", NameShape::plain},
      {"com", "192.0.2.1", NameShape::plain},
      {"co.uk", "192.0.2.1", NameShape::plain},
  };
  GenericWords w = GenericWords::from(legit::test::make_config());
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      std::optional<IpAddress> ip;
      if (*r.ip) ip = IpAddress::parse(r.ip);
      NameVerdict v = classify_name(r.name, ip ? &*ip : nullptr, w);
      INFO(v.why);
      CHECK(to_string(v.shape) == std::string(to_string(r.want)));
    }
  }
}

TEST_CASE("generic_name: embedded NUL is not cut off") {
  GenericWords w = GenericWords::from(legit::test::make_config());
  auto ip = IpAddress::parse("192.0.2.1");
  std::string name("192-0-2-1\0.dsl.example.com", 26);
  CHECK(classify_name(name, &*ip, w).shape == NameShape::plain);
}

TEST_CASE("generic_name: 255-char names and huge labels") {
  GenericWords w = GenericWords::from(legit::test::make_config());
  auto ip = IpAddress::parse("192.0.2.1");
  std::string longname;
  while (longname.size() < 250) longname += "dsl-1234.";
  longname += "example.com";
  CHECK(longname.size() > 253);
  CHECK(classify_name(longname, &*ip, w).shape == NameShape::plain);
  std::string digits(63, '9');
  CHECK(classify_name(digits + ".example.com", &*ip, w).shape == NameShape::plain);
}

TEST_CASE("generic_name: host_part keeps only labels left of the registrable domain") {
  CHECK(host_part("cpe-1.kya.res.rr.com") == "cpe-1.kya.res");
  CHECK(host_part("Mail.Example.CO.UK.") == "mail");
  CHECK(host_part("example.com") == "");
  CHECK(host_part("ec2-3-120-45-67.eu-central-1.compute.amazonaws.com") ==
        "ec2-3-120-45-67.eu-central-1.compute");
  CHECK(host_part("localhost") == "localhost");
  CHECK(host_part("") == "");
}

TEST_CASE("generic_name: words come from config") {
  auto cfg = legit::test::make_config({{"ptr-dynamic-words", "zzpool"}, {"ptr-static-words", "zzfix"}});
  GenericWords w = GenericWords::from(cfg);
  CHECK(classify_name("zzpool-1234.example.net", nullptr, w).shape == NameShape::generic);
  CHECK(classify_name("dhcp-1234.example.net", nullptr, w).shape == NameShape::plain);
  CHECK(classify_name("zzpool-zzfix-1234.example.net", nullptr, w).shape == NameShape::generic_static);
  std::string err;
  CHECK_FALSE(config_from({{"ptr-dynamic-words", "bad-word"}}, &err));
  CHECK(err.find("ptr-dynamic-words") != std::string::npos);
}
