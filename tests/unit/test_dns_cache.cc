// test_dns_cache.cc — the answer cache (answer_cache.h), the caching
// resolver in front of a fake upstream (cached_resolver.cc) and the health
// probe's verdict (health.h): TTLs (positive and RFC 2308 negative), what is
// never held, the LRU bound and its counters, joining of identical lookups
// in flight, fail-fast while unhealthy, and the cost of a hit (median ≤ 2 µs).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../milter/dns/answer_cache.h"
#include "../../milter/dns/health.h"
#include "../../milter/dns/upstream.h"
#include "legit/dns.h"

using namespace legit;
using legit::dns_detail::AnswerCache;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

namespace {

DnsAnswer answer(DnsStatus s, std::uint32_t ttl, std::vector<std::string> records = {}) {
  DnsAnswer a = DnsAnswer::of(s);
  a.ttl = ttl;
  a.records = std::move(records);
  return a;
}

// Holds every started lookup until the test answers it.
class FakeUpstream : public dns_detail::Upstream {
 public:
  struct Started {
    std::string qname;
    DnsType type;
    Done done;
  };
  void start(std::string qname, DnsType type, Clock::time_point, Done done) override {
    std::lock_guard<std::mutex> g(mu);
    started.push_back({std::move(qname), type, std::move(done)});
  }
  // Answers every pending lookup of qname with `a`; returns how many.
  int answer_all(const std::string& qname, const DnsAnswer& a) {
    std::vector<Done> todo;
    {
      std::lock_guard<std::mutex> g(mu);
      for (auto& s : started)
        if (s.qname == qname && s.done) todo.push_back(std::move(s.done)), s.done = nullptr;
    }
    for (auto& d : todo) d(a);
    return static_cast<int>(todo.size());
  }
  int count(const std::string& qname) {
    std::lock_guard<std::mutex> g(mu);
    return static_cast<int>(std::count_if(started.begin(), started.end(),
                                          [&](auto& s) { return s.qname == qname; }));
  }
  std::mutex mu;
  std::vector<Started> started;
};

}  // namespace

TEST_CASE("dns cache: what is held and for how long") {
  struct Row {
    const char* what;
    DnsAnswer a;
    long held;  // seconds
  };
  const std::vector<Row> rows = {
      {"ok: its TTL", answer(DnsStatus::ok, 300, {"192.0.2.1"}), 300},
      {"ok: capped at a day", answer(DnsStatus::ok, 10'000'000, {"x"}), 86400},
      {"nxdomain: the SOA's negative TTL", answer(DnsStatus::nxdomain, 60), 60},
      {"nodata: negative TTL, capped at an hour", answer(DnsStatus::nodata, 86400), 3600},
      {"ttl 0: not held", answer(DnsStatus::ok, 0, {"x"}), 0},
      {"temperror: never", answer(DnsStatus::temperror, 300), 0},
      {"malformed: never", answer(DnsStatus::malformed, 300), 0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    CHECK(AnswerCache::hold_time(r.a).count() == r.held);
  }
}

TEST_CASE("dns cache: TTL expiry, keys ignore case, types apart") {
  AnswerCache c(100);
  auto t0 = Clock::now();
  std::string k = AnswerCache::key("Host.Example.", DnsType::A);
  CHECK(k == AnswerCache::key("host.example.", DnsType::A));
  CHECK(k != AnswerCache::key("host.example.", DnsType::AAAA));
  auto f = c.find(k, t0, true);
  REQUIRE(f.kind == AnswerCache::Found::miss);
  REQUIRE(f.reserved);
  c.complete(k, answer(DnsStatus::ok, 30, {"192.0.2.1"}), t0);
  CHECK(f.pending.get().records == std::vector<std::string>{"192.0.2.1"});
  auto hit = c.find(AnswerCache::key("HOST.example.", DnsType::A), t0 + seconds(29), true);
  REQUIRE(hit.kind == AnswerCache::Found::hit);
  CHECK(hit.answer->records.front() == "192.0.2.1");
  CHECK(c.find(k, t0 + seconds(30), false).kind == AnswerCache::Found::miss);  // expired
  ResolverStats s;
  c.add_stats(s);
  CHECK(s.cache_hits == 1);
  CHECK(s.cache_misses == 2);
  CHECK(s.cache_entries == 0);  // the expired one was dropped when found
  CHECK(s.cache_evictions == 0);
}

TEST_CASE("dns cache: negative answers held (RFC 2308), temperror not, drop_negative") {
  AnswerCache c(100);
  auto t0 = Clock::now();
  auto nx = AnswerCache::key("nope.example.", DnsType::A);
  auto tmp = AnswerCache::key("slow.example.", DnsType::A);
  c.find(nx, t0, true);
  c.complete(nx, answer(DnsStatus::nxdomain, 60), t0);
  c.find(tmp, t0, true);
  c.complete(tmp, DnsAnswer::of(DnsStatus::temperror, "timeout"), t0);
  CHECK(c.find(nx, t0 + seconds(59), false).kind == AnswerCache::Found::hit);
  CHECK(c.find(tmp, t0 + seconds(1), false).kind == AnswerCache::Found::miss);
  c.drop_negative();
  CHECK(c.find(nx, t0 + seconds(1), false).kind == AnswerCache::Found::miss);
}

TEST_CASE("dns cache: bounded, least recently used dropped first, evictions counted") {
  AnswerCache c(AnswerCache::kShards * 2);  // 2 per shard
  auto t0 = Clock::now();
  std::vector<std::string> keys;
  for (int i = 0; i < 400; ++i) {
    keys.push_back(AnswerCache::key("n" + std::to_string(i) + ".example.", DnsType::A));
    c.find(keys.back(), t0, true);
    c.complete(keys.back(), answer(DnsStatus::ok, 300, {"192.0.2.1"}), t0);
  }
  ResolverStats s;
  c.add_stats(s);
  CHECK(s.cache_entries == AnswerCache::kShards * 2);
  CHECK(s.cache_evictions == 400 - AnswerCache::kShards * 2);
  CHECK(c.find(keys.back(), t0, false).kind == AnswerCache::Found::hit);  // newest kept
  CHECK(c.find(keys.front(), t0, false).kind == AnswerCache::Found::miss);  // oldest gone
  AnswerCache none(0);
  none.find(keys[0], t0, true);
  none.complete(keys[0], answer(DnsStatus::ok, 300, {"x"}), t0);
  CHECK(none.find(keys[0], t0, false).kind == AnswerCache::Found::miss);  // 0 = no cache
}

TEST_CASE("dns cache resolver: identical lookups in flight are joined, then held") {
  auto up = std::make_unique<FakeUpstream>();
  FakeUpstream* fake = up.get();
  ResolverOptions o;
  auto r = make_caching_resolver(std::move(up), o);
  std::vector<DnsLookup> ls;
  for (int i = 0; i < 20; ++i) ls.push_back(r->lookup(i % 2 ? "Join.Example" : "join.example.", DnsType::TXT));
  CHECK(fake->count("join.example.") == 1);
  CHECK_FALSE(ls[0].is_ready());
  CHECK(fake->answer_all("join.example.", answer(DnsStatus::ok, 300, {"v=spf1 -all"})) == 1);
  for (auto& l : ls) CHECK(l.get().records == std::vector<std::string>{"v=spf1 -all"});
  auto again = r->lookup("join.example", DnsType::TXT);
  CHECK(again.is_ready());
  CHECK(fake->count("join.example.") == 1);
  ResolverStats s = r->stats();
  CHECK(s.cache_misses == 1);
  CHECK(s.cache_joined == 19);
  CHECK(s.cache_hits == 1);
  CHECK(s.healthy);
  // A temperror is handed to the waiters but not held: the next lookup asks again.
  auto t1 = r->lookup("flaky.example", DnsType::A);
  fake->answer_all("flaky.example.", DnsAnswer::of(DnsStatus::temperror, "timeout"));
  CHECK(t1.get().status == DnsStatus::temperror);
  (void)r->lookup("flaky.example", DnsType::A);
  CHECK(fake->count("flaky.example.") == 2);
  CHECK(r->lookup("a..b", DnsType::A).get().status == DnsStatus::malformed);
}

TEST_CASE("dns cache resolver: a hit costs no thread hop (median <= 2 us)") {
  auto up = std::make_unique<FakeUpstream>();
  FakeUpstream* fake = up.get();
  auto r = make_caching_resolver(std::move(up), ResolverOptions{});
  auto first = r->lookup("host.example", DnsType::A);
  fake->answer_all("host.example.", answer(DnsStatus::ok, 300, {"192.0.2.1", "192.0.2.2"}));
  REQUIRE(first.get().ok());
  // Five rounds of 4,000 hits; the best round's median is compared, so a
  // round that other processes preempted (CI on 2 shared cores) does not
  // decide. A thread hop costs ~80 us, far above the bound either way.
  double best = 1e9;
  for (int round = 0; round < 5; ++round) {
    std::vector<double> us;
    for (int i = 0; i < 4000; ++i) {
      auto t = Clock::now();
      DnsAnswer a = r->lookup("host.example", DnsType::A).get();
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
      REQUIRE(a.records.size() == 2);
    }
    std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
    best = std::min(best, us[us.size() / 2]);
  }
  MESSAGE("cached lookup + get: best round median " << best << " us");
#if defined(__SANITIZE_ADDRESS__)
  const double bound = 20.0;  // ASan + Debug: ~3 us measured; the 2 us target is for release
#else
  const double bound = 2.0;
#endif
  CHECK(best <= bound);
  CHECK(fake->count("host.example.") == 1);
}

TEST_CASE("dns health: the verdict of a canary round") {
  using dns_detail::Canary;
  std::vector<Canary> cs = {{".", DnsType::NS, "."}, {"example.org.", DnsType::NS, "example.org"}};
  CHECK(dns_detail::judge(cs, {answer(DnsStatus::ok, 1, {"a.root"}), answer(DnsStatus::nxdomain, 1)}).healthy);
  auto lying = dns_detail::judge(cs, {answer(DnsStatus::nxdomain, 1), answer(DnsStatus::nxdomain, 1)});
  CHECK_FALSE(lying.healthy);
  CHECK(lying.why == "no canary answered (. NS: nxdomain; example.org NS: nxdomain)");
  auto dead = dns_detail::judge(cs, {DnsAnswer::of(DnsStatus::temperror, "timeout"),
                                     DnsAnswer::of(DnsStatus::temperror, "timeout")});
  CHECK_FALSE(dead.healthy);
  CHECK(dead.why.find(". NS: temperror timeout") != std::string::npos);
  CHECK(dns_detail::judge({}, {}).healthy);
  std::string why;
  CHECK(parse_canary(".", &why)->first == ".");
  CHECK(parse_canary("example.org/A", &why)->second == DnsType::A);
  CHECK(parse_canary("example.org", &why)->second == DnsType::NS);
  CHECK_FALSE(parse_canary("example.org/SOA", &why));
  CHECK_FALSE(parse_canary("a..b", &why));
  CHECK(why == "is not a DNS name (empty label)");
}

TEST_CASE("dns health: unhealthy resolver fails fast, keeps held answers, drops negative ones") {
  // A fake upstream that answers at once: canaries NXDOMAIN (a lying resolver).
  struct Liar : dns_detail::Upstream {
    std::mutex mu;
    int asked = 0;
    void start(std::string qname, DnsType, Clock::time_point, Done done) override {
      {
        std::lock_guard<std::mutex> g(mu);
        ++asked;
      }
      done(qname == "." ? answer(DnsStatus::nxdomain, 60) : answer(DnsStatus::ok, 300, {"x"}));
    }
  };
  auto up = std::make_unique<Liar>();
  Liar* liar = up.get();
  ResolverOptions o;
  o.canaries = {"."};
  auto r = make_caching_resolver(std::move(up), o);
  ResolverStats s = r->stats();
  CHECK_FALSE(s.healthy);
  CHECK(s.health_probes == 1);
  CHECK(s.health_why.find("nxdomain") != std::string::npos);
  int before = liar->asked;
  DnsAnswer a = r->lookup("gmail.com", DnsType::MX).get();
  CHECK(a.status == DnsStatus::temperror);
  CHECK(a.why == "resolver unhealthy");
  CHECK(liar->asked == before);  // nothing sent: failed fast
  CHECK(r->stats().failed_fast == 1);
}
