// health.cc — the resolver health probe (health.h): canary rounds, the
// verdict, the warnings, the probe thread.
//
// Bad input: parse_canary() refuses anything but NAME or NAME/TYPE; nothing
// throws but std::bad_alloc.
#include "health.h"

#include <future>
#include <memory>

#include "answer_parse.h"
#include "legit/log.h"

namespace legit {

std::optional<std::pair<std::string, DnsType>> parse_canary(std::string_view item,
                                                            std::string* why) {
  std::string_view name = item, type = "NS";
  auto slash = item.rfind('/');
  if (slash != std::string_view::npos) {
    name = item.substr(0, slash);
    type = item.substr(slash + 1);
  }
  static const std::pair<const char*, DnsType> kTypes[] = {
      {"A", DnsType::A}, {"AAAA", DnsType::AAAA}, {"MX", DnsType::MX}, {"NS", DnsType::NS},
      {"TXT", DnsType::TXT}, {"PTR", DnsType::PTR}};
  for (const auto& [t, value] : kTypes) {
    if (type != t) continue;
    if (name == "." || name.empty()) return std::make_pair(std::string("."), value);
    std::string problem;
    auto q = dns_detail::query_name(name, &problem);
    if (!q) {
      if (why) *why = "is not a DNS name (" + problem + ")";
      return std::nullopt;
    }
    return std::make_pair(*q, value);
  }
  if (why) *why = "has an unknown type (want NAME or NAME/TYPE, TYPE one of A AAAA MX NS TXT PTR)";
  return std::nullopt;
}

namespace dns_detail {
namespace {
constexpr std::chrono::seconds kWarnEvery{60};
constexpr std::chrono::seconds kUnhealthyEvery{10};
}  // namespace

HealthVerdict judge(const std::vector<Canary>& canaries, const std::vector<DnsAnswer>& answers) {
  HealthVerdict v;
  std::string each;
  for (std::size_t i = 0; i < canaries.size() && i < answers.size(); ++i) {
    if (answers[i].ok()) return v;
    const DnsAnswer& a = answers[i];
    each += (each.empty() ? "" : "; ") + canaries[i].text + " " + to_string(canaries[i].type) +
            ": " + to_string(a.status) + (a.why.empty() ? "" : " " + a.why);
  }
  if (canaries.empty()) return v;
  v.healthy = false;
  v.why = "no canary answered (" + each + ")";
  return v;
}

HealthProbe::HealthProbe(Upstream& up, std::vector<Canary> canaries,
                         std::chrono::milliseconds timeout, std::chrono::milliseconds interval,
                         std::function<void()> on_unhealthy)
    : up_(up), canaries_(std::move(canaries)), timeout_(timeout), interval_(interval),
      on_unhealthy_(std::move(on_unhealthy)) {}

HealthProbe::~HealthProbe() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthProbe::start() {
  if (canaries_.empty()) return;
  apply(round());
  thread_ = std::thread([this] { run(); });
}

std::string HealthProbe::why() const {
  std::lock_guard<std::mutex> g(mu_);
  return why_;
}

void HealthProbe::add_stats(ResolverStats& s) const {
  s.healthy = healthy();
  s.health_why = why();
  s.health_probes = probes_.load(std::memory_order_relaxed);
}

HealthVerdict HealthProbe::round() {
  std::vector<std::shared_future<DnsAnswer>> pending;
  auto deadline = Clock::now() + timeout_;
  for (const auto& c : canaries_) {
    auto p = std::make_shared<std::promise<DnsAnswer>>();
    pending.push_back(p->get_future().share());
    up_.start(c.qname, c.type, deadline, [p](DnsAnswer a) { p->set_value(std::move(a)); });
  }
  std::vector<DnsAnswer> answers;
  for (auto& f : pending) answers.push_back(f.get());  // each ends by the deadline
  probes_.fetch_add(1, std::memory_order_relaxed);
  return judge(canaries_, answers);
}

void HealthProbe::apply(const HealthVerdict& v) {
  bool was = healthy_.exchange(v.healthy);
  auto now = Clock::now();
  bool warn = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    why_ = v.why;
    if (!v.healthy && (was || now - last_warn_ >= kWarnEvery)) {
      warn = true;
      last_warn_ = now;
    }
  }
  if (!v.healthy && was && on_unhealthy_) on_unhealthy_();
  if (warn)
    log_msg(LogLevel::warning,
            "DNS resolver unhealthy: " + v.why +
                "; lookups answer temperror at once (no reject rests on NXDOMAIN/NODATA) until "
                "a canary answers");
  if (v.healthy && !was) log_msg(LogLevel::info, "DNS resolver healthy again: a canary answered");
}

void HealthProbe::run() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    auto wait = healthy() ? interval_
                          : std::min<std::chrono::milliseconds>(interval_, kUnhealthyEvery);
    if (cv_.wait_for(lk, wait, [this] { return stop_; })) return;
    lk.unlock();
    HealthVerdict v = round();
    lk.lock();
    if (stop_) return;
    lk.unlock();
    apply(v);
    lk.lock();
  }
}

}  // namespace dns_detail
}  // namespace legit
