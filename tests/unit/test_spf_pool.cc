// test_spf_pool.cc — SPF evaluations on the bounded pool (spf_pool.h) with
// one shared SPF_server_t per receiver (spf_dns.h shared_server): threads are
// reused and never more than kMaxThreads, many evaluations in parallel on
// the shared server each get their own verdict, the server is made once.
#include <chrono>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../milter/checks/spf_dns.h"
#include "../../milter/checks/spf_eval.h"
#include "../../milter/checks/spf_pool.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;
using namespace std::chrono_literals;

namespace {

// Each domain dN.example has its own record; odd ones fail the client.
void zone(FakeResolver& f, int n) {
  for (int i = 0; i < n; ++i)
    f.add("d" + std::to_string(i) + ".example", DnsType::TXT,
          {i % 2 ? "v=spf1 ip4:198.51.100.0/24 -all" : "v=spf1 ip4:192.0.2.0/24 -all"});
}

// A resolver whose first ask of a name `uncached` accepts (all by default)
// is a lookup that went to the wire: a handle not ready (never answered,
// nobody waits on it); the next ask finds the answer, as the answer cache
// would; and so on, odd asks pending, even asks answered. An SpfJob asks on
// the caller's thread first (pending: missed), then on the pool (answered).
class Uncached : public Resolver {
 public:
  explicit Uncached(Resolver& inner, std::function<bool(std::string_view)> uncached = {})
      : inner_(inner), uncached_(std::move(uncached)) {}
  DnsLookup lookup(std::string_view name, DnsType type) override {
    if (!uncached_ || uncached_(name)) {
      std::lock_guard<std::mutex> g(mu_);
      if (++asks_[{std::string(name), type}] % 2 == 1)
        return DnsLookup(pending_.emplace_back().get_future().share());
    }
    return inner_.lookup(name, type);
  }

 private:
  Resolver& inner_;
  std::function<bool(std::string_view)> uncached_;
  std::mutex mu_;
  std::map<std::pair<std::string, DnsType>, int> asks_;
  std::list<std::promise<DnsAnswer>> pending_;
};

spf::SpfQuery query(int i) {
  std::string d = "d" + std::to_string(i) + ".example";
  return {"192.0.2.7", "mail.example.net", "user@" + d, d, "mx.pool.test"};
}

}  // namespace

TEST_CASE("spf pool: sequential evaluations reuse threads, one shared server") {
  FakeResolver zone_dns;
  zone(zone_dns, 2);
  Uncached dns(zone_dns);
  // A thread hands over its result before it is idle again; a job queued in
  // that gap starts another thread (bounded by kMaxThreads, fine in the
  // milter). To test reuse without racing a loaded scheduler, each next job
  // waits until every pool thread is idle again (bounded wait).
  auto all_idle = [] {
    for (int i = 0; i < 2000; ++i) {
      auto s = spf::pool_stats();
      if (s.idle == s.threads) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  };
  REQUIRE(all_idle());
  auto before = spf::pool_stats().threads;
  for (int i = 0; i < 300; ++i) {
    auto job = spf::SpfJob::start(dns, query(i % 2), 5s);
    CHECK(job.wait().result == (i % 2 ? "fail" : "pass"));
    REQUIRE(all_idle());
  }
  // Before: one new thread per evaluation (300). Now an idle thread takes
  // each job: at most one thread is added (when the pool was empty).
  MESSAGE("pool threads: " << before << " -> " << spf::pool_stats().threads << " for 300");
  CHECK(spf::pool_stats().threads <= before + 1);
  CHECK(spf::shared_server("mx.pool.test") == spf::shared_server("mx.pool.test"));
  CHECK(spf::shared_server("mx.pool.test") != spf::shared_server("other.pool.test"));
}

TEST_CASE("spf pool: 300 evaluations at once, bounded threads, each its own verdict") {
  FakeResolver zone_dns;
  zone(zone_dns, 300);
  Uncached dns(zone_dns);
  std::vector<spf::SpfJob> jobs;
  for (int i = 0; i < 300; ++i) jobs.push_back(spf::SpfJob::start(dns, query(i), 10s));
  int right = 0;
  for (int i = 0; i < 300; ++i) right += jobs[i].wait().result == (i % 2 ? "fail" : "pass");
  CHECK(right == 300);
  CHECK(spf::pool_stats().threads <= spf::kMaxThreads);
  CHECK(spf::pool_stats().queued == 0);
}

TEST_CASE("spf pool: the shared server's layer answers TRY_AGAIN outside an evaluation") {
  SPF_server_t* srv = spf::shared_server("mx.pool.test");
  REQUIRE(srv != nullptr);
  SPF_dns_rr_t* rr = SPF_dns_lookup(srv->resolver, "d0.example", ns_t_txt, 0);
  REQUIRE(rr != nullptr);
  CHECK(rr->herrno == TRY_AGAIN);
  SPF_dns_rr_free(rr);
}

// Issue 11: with every answer in hand (answer-cache hits) the evaluation runs
// on the caller's thread, no pool job; one answer not in hand sends it to the
// pool (the first attempt is thrown away). The verdict is the same each way.
TEST_CASE("spf pool: answers in hand are evaluated without the pool, the same verdict") {
  FakeResolver dns;
  zone(dns, 2);
  dns.add("inc.example", DnsType::TXT, {"v=spf1 include:d0.example -all"});
  auto via = [](Resolver& r, spf::SpfQuery q) {
    auto before = spf::pool_stats().submitted;
    auto job = spf::SpfJob::start(r, std::move(q), 5s);
    std::string result = job.wait().result;
    return std::make_pair(result, spf::pool_stats().submitted - before);
  };
  spf::SpfQuery inc{"192.0.2.7", "mail.example.net", "user@inc.example", "inc.example", "mx.pool.test"};
  for (int i = 0; i < 2; ++i) {
    auto [cached, jobs] = via(dns, query(i));
    CHECK(cached == (i % 2 ? "fail" : "pass"));
    CHECK(jobs == 0);
    Uncached wire(dns);
    auto [pooled, pool_jobs] = via(wire, query(i));
    CHECK(pooled == cached);
    CHECK(pool_jobs == 1);
  }
  // The include's record is not in hand: the attempt stops there, the pool decides.
  Uncached half(dns, [](std::string_view n) { return n == "d0.example"; });
  auto [result, jobs] = via(half, inc);
  CHECK(result == "pass");
  CHECK(jobs == 1);
  CHECK(via(dns, inc) == std::make_pair(std::string("pass"), std::size_t{0}));
  CHECK(spf::evaluate_spf(dns, inc, 5s).result == "pass");
}
