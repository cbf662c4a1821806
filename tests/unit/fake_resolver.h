// fake_resolver.h — a Resolver answering from a table, for unit tests.
// Unknown (name, type) pairs answer NXDOMAIN unless a default is set; every
// question asked is recorded so tests can assert what was (not) looked up.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "legit/dns.h"

namespace legit::test {

class FakeResolver : public Resolver {
 public:
  // Records: fake.add("example.org", DnsType::MX, {"10 mx.example.org"});
  void add(const std::string& name, DnsType t, std::vector<std::string> records) {
    DnsAnswer a;
    a.status = records.empty() ? DnsStatus::nodata : DnsStatus::ok;
    a.records = std::move(records);
    a.ttl = 300;
    table_[{lower(name), t}] = a;
  }
  void set(const std::string& name, DnsType t, DnsStatus s, std::string why = {}) {
    table_[{lower(name), t}] = DnsAnswer::of(s, std::move(why));
  }
  // What an absent entry answers (default NXDOMAIN).
  void set_default(DnsStatus s) { default_ = s; }

  DnsLookup lookup(std::string_view name, DnsType type) override {
    std::string n = lower(name);
    if (!n.empty() && n.back() == '.') n.pop_back();
    {
      std::lock_guard<std::mutex> g(mu_);
      asked_.push_back({n, type});
    }
    auto it = table_.find({n, type});
    if (it != table_.end()) return DnsLookup::ready(it->second);
    if (default_ == DnsStatus::nodata) {
      // NODATA only for names that exist under another type.
      for (auto& [k, v] : table_)
        if (k.first == n) return DnsLookup::ready(DnsAnswer::of(DnsStatus::nodata));
      return DnsLookup::ready(DnsAnswer::of(DnsStatus::nxdomain));
    }
    return DnsLookup::ready(DnsAnswer::of(default_, default_ == DnsStatus::temperror ? "timeout" : ""));
  }

  std::vector<std::pair<std::string, DnsType>> asked() const {
    std::lock_guard<std::mutex> g(mu_);
    return asked_;
  }
  bool was_asked(const std::string& name, DnsType t) const {
    for (auto& q : asked()) if (q.first == lower(name) && q.second == t) return true;
    return false;
  }

 private:
  static std::string lower(std::string_view s) {
    std::string o(s);
    for (auto& c : o) if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return o;
  }
  std::map<std::pair<std::string, DnsType>, DnsAnswer> table_;
  DnsStatus default_ = DnsStatus::nodata;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, DnsType>> asked_;
};

}  // namespace legit::test
