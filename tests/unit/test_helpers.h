// test_helpers.h — shared set-up for engine-level unit tests: a Config from
// defaults plus overrides, and a Dialogue driven through one whole message.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>

#include "fake_resolver.h"
#include "legit/config.h"
#include "legit/engine.h"

namespace legit::test {

inline Config make_config(std::map<std::string, std::string> overrides = {}) {
  if (!overrides.count("authserv-id")) overrides["authserv-id"] = "mx.example.net";
  if (!overrides.count("hostname")) overrides["hostname"] = "mx.example.net";
  std::string err;
  auto c = config_from(overrides, &err);
  INFO(err);
  REQUIRE(c);
  return *c;
}

struct Msg {
  std::string client_name = "unknown";
  std::string ip;
  std::string helo = "mail.example.com";
  std::string from = "<alice@example.com>";
  std::string auth;
  std::vector<std::pair<std::string, std::string>> headers = {{"From", "alice@example.com"}};
  std::string qid = "ABC123";
};

inline Outcome run_message(const Engine& engine, const Msg& m) {
  auto d = engine.open();
  d->connect(m.client_name, m.ip);
  d->helo(m.helo);
  d->mail_from(m.from, m.auth);
  d->rcpt("<bob@example.net>");
  for (const auto& [n, v] : m.headers) d->header(n, v);
  d->end_of_headers();
  d->body("hello\r\n");
  return d->end_of_message(m.qid);
}

// A registered check by name; nullptr when there is none.
inline const CheckInfo* check_info(std::string_view name) {
  for (const auto& c : check_registry())
    if (c.name == name) return &c;
  return nullptr;
}

// The finding of one check in an outcome; result "" when absent.
inline std::string result_of(const Outcome& o, const std::string& check) {
  for (const auto& it : o.verdict.items)
    if (it.finding.check == check) return it.finding.result;
  return "";
}

}  // namespace legit::test
