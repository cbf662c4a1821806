// test_spf_pool.cc — SPF evaluations on the bounded pool (spf_pool.h) with
// one shared SPF_server_t per receiver (spf_dns.h shared_server): threads are
// reused and never more than kMaxThreads, many evaluations in parallel on
// the shared server each get their own verdict, the server is made once.
#include <chrono>
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

spf::SpfQuery query(int i) {
  std::string d = "d" + std::to_string(i) + ".example";
  return {"192.0.2.7", "mail.example.net", "user@" + d, d, "mx.pool.test"};
}

}  // namespace

TEST_CASE("spf pool: sequential evaluations reuse threads, one shared server") {
  FakeResolver dns;
  zone(dns, 2);
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
  FakeResolver dns;
  zone(dns, 300);
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
