// unbound_resolver.cc — the upstream behind the answer cache: libunbound in
// async mode, replies parsed with ldns (answer_parse.cc).
//
// One background thread owns the ub_ctx after construction: it starts every
// query (ub_resolve_async), runs ub_process() when ub_fd() is readable (the
// only place libunbound calls result callbacks in async mode), and cancels
// queries whose deadline has passed, answering them temperror "timeout".
// Callers only queue a request and wake the thread through an eventfd, so
// callbacks, cancels and the bookkeeping of pending queries never race.
// Every answer is handed to the request's `done` callback on this thread
// (upstream.h); the answer cache (answer_cache.cc) in front of it serves
// repeated lookups without coming here at all.
//
// Bad input: a bad server string makes make_unbound_upstream() throw
// std::runtime_error naming it; nothing else throws.
#include <poll.h>
#include <sys/eventfd.h>
#include <unbound.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "answer_parse.h"
#include "legit/dns_stats.h"
#include "unbound_options.h"
#include "upstream.h"

namespace legit::dns_detail {
namespace {

class UnboundUpstream final : public Upstream {
 public:
  explicit UnboundUpstream(const ResolverOptions& opts);
  ~UnboundUpstream() override;
  UnboundUpstream(const UnboundUpstream&) = delete;
  UnboundUpstream& operator=(const UnboundUpstream&) = delete;

  void start(std::string qname, DnsType type, Clock::time_point deadline, Done done) override;

 private:
  struct Request {
    std::string name;  // presentation form, from dns_detail::query_name
    DnsType type;
    Clock::time_point deadline;
    Done done;
  };
  struct Job {
    UnboundUpstream* owner;
    int id = 0;
    DnsType type;
    Done done;
    std::multimap<Clock::time_point, int>::iterator due;
  };

  void run();
  void begin(Request& r);
  void finish(int id, DnsAnswer a);
  void expire(Clock::time_point now);
  void abandon_all();
  int poll_timeout_ms(Clock::time_point now) const;
  void wake();
  static void on_result(void* data, int err, ub_result* result);

  UbCtxPtr ctx_;
  int wake_fd_ = -1;

  std::mutex mu_;                  // guards queue_ and stopping_
  std::vector<Request> queue_;
  bool stopping_ = false;

  // Owned by the loop thread alone.
  std::map<int, std::unique_ptr<Job>> jobs_;
  std::multimap<Clock::time_point, int> due_;

  std::thread thread_;
};

UnboundUpstream::UnboundUpstream(const ResolverOptions& opts) : ctx_(make_ub_ctx(opts)) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("dns: eventfd failed");
  // Every ub_ctx_set_option call is done: only now may another thread run.
  thread_ = std::thread([this] { run(); });
}

UnboundUpstream::~UnboundUpstream() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  ctx_.reset();  // ub_ctx_delete: stops libunbound's worker thread
  ::close(wake_fd_);
}

void UnboundUpstream::start(std::string qname, DnsType type, Clock::time_point deadline,
                            Done done) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!stopping_) {
      queue_.push_back(Request{std::move(qname), type, deadline, std::move(done)});
      done = nullptr;
    }
  }
  if (done) {
    done(DnsAnswer::of(DnsStatus::temperror, "shutdown"));
    return;
  }
  wake();
}

void UnboundUpstream::wake() {
  std::uint64_t one = 1;
  // A full counter (EAGAIN) still leaves the fd readable: nothing is lost.
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void UnboundUpstream::run() {
  pollfd fds[2] = {{ub_fd(ctx_.get()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    std::vector<Request> batch;
    bool stop;
    {
      std::lock_guard<std::mutex> g(mu_);
      batch.swap(queue_);
      stop = stopping_;
    }
    for (auto& r : batch) {
      if (stop) r.done(DnsAnswer::of(DnsStatus::temperror, "shutdown"));
      else begin(r);
    }
    if (stop) break;
    int n = ::poll(fds, 2, poll_timeout_ms(Clock::now()));
    if (n > 0 && (fds[1].revents & POLLIN)) {
      std::uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof count);
    }
    if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) ub_process(ctx_.get());
    expire(Clock::now());
  }
  abandon_all();
}

void UnboundUpstream::begin(Request& r) {
  auto now = Clock::now();
  if (r.deadline <= now) {
    r.done(DnsAnswer::of(DnsStatus::temperror, "timeout"));
    return;
  }
  auto job = std::make_unique<Job>();
  job->owner = this;
  job->type = r.type;
  job->done = std::move(r.done);
  int id = 0;
  int err = ub_resolve_async(ctx_.get(), r.name.c_str(), static_cast<int>(r.type), 1 /* IN */,
                             job.get(), &UnboundUpstream::on_result, &id);
  if (err != 0) {
    job->done(DnsAnswer::of(DnsStatus::temperror, ub_strerror(err)));
    return;
  }
  job->id = id;
  job->due = due_.emplace(r.deadline, id);
  jobs_[id] = std::move(job);
}

// Called by libunbound inside ub_process(), i.e. on the loop thread.
void UnboundUpstream::on_result(void* data, int err, ub_result* result) {
  auto* job = static_cast<Job*>(data);
  ResultView v;
  v.err = err;
  v.err_text = ub_strerror(err);
  if (result != nullptr) {
    v.rcode = result->rcode;
    v.havedata = result->havedata != 0;
    v.nxdomain = result->nxdomain != 0;
    v.bogus = result->bogus != 0;
    v.packet = static_cast<const std::uint8_t*>(result->answer_packet);
    v.packet_len = result->answer_len > 0 ? static_cast<std::size_t>(result->answer_len) : 0;
    v.ttl = result->ttl;
  }
  DnsAnswer a = err == UB_SYNTAX ? DnsAnswer::of(DnsStatus::malformed, "bad query name")
                                 : map_result(v, job->type);
  if (result != nullptr) ub_resolve_free(result);
  job->owner->finish(job->id, std::move(a));
}

void UnboundUpstream::finish(int id, DnsAnswer a) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  if (a.status == DnsStatus::temperror) {  // what the wire did, for the metrics
    auto& stats = dns_stats();
    stats.temperrors.fetch_add(1, std::memory_order_relaxed);
    if (a.why == "timeout") stats.timeouts.fetch_add(1, std::memory_order_relaxed);
  }
  std::unique_ptr<Job> job = std::move(it->second);
  due_.erase(job->due);
  jobs_.erase(it);
  job->done(std::move(a));
}

void UnboundUpstream::expire(Clock::time_point now) {
  while (!due_.empty() && due_.begin()->first <= now) {
    int id = due_.begin()->second;
    ub_cancel(ctx_.get(), id);  // its callback will not be called
    finish(id, DnsAnswer::of(DnsStatus::temperror, "timeout"));
  }
}

void UnboundUpstream::abandon_all() {
  for (auto& [id, job] : jobs_) {
    ub_cancel(ctx_.get(), id);
    job->done(DnsAnswer::of(DnsStatus::temperror, "shutdown"));
  }
  jobs_.clear();
  due_.clear();
}

int UnboundUpstream::poll_timeout_ms(Clock::time_point now) const {
  if (due_.empty()) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(due_.begin()->first - now);
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

std::unique_ptr<Upstream> make_unbound_upstream(const ResolverOptions& opts) {
  return std::make_unique<UnboundUpstream>(opts);
}

}  // namespace legit::dns_detail
