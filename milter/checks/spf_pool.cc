// spf_pool.cc — the bounded, on-demand thread pool for SPF evaluations
// (spf_pool.h). The pool is made on first use and never destroyed: its
// threads are detached and may still be in an evaluation at exit.
//
// Bad input: none; a thread that cannot be started while others exist just
// leaves the job queued for them.
#include "spf_pool.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

namespace legit::spf {
namespace {

class Pool {
 public:
  bool submit(std::function<void()> job) {
    std::unique_lock<std::mutex> lk(mu_);
    queue_.push_back(std::move(job));
    ++submitted_;
    if (idle_ < queue_.size() && threads_ < kMaxThreads) {
      try {
        std::thread([this] { work(); }).detach();
        ++threads_;
      } catch (const std::system_error&) {
        if (threads_ == 0) {
          queue_.pop_back();
          return false;
        }
      }
    }
    lk.unlock();
    cv_.notify_one();
    return true;
  }

  PoolStats stats() {
    std::lock_guard<std::mutex> g(mu_);
    return {threads_, idle_, queue_.size(), submitted_};
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      ++idle_;
      cv_.wait(lk, [this] { return !queue_.empty(); });
      --idle_;
      std::function<void()> job = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      try {
        job();
      } catch (...) {
      }
      job = nullptr;  // release what it holds before waiting again
      lk.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
  std::size_t submitted_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached threads use it
  return *p;
}

}  // namespace

bool submit(std::function<void()> job) { return pool().submit(std::move(job)); }
PoolStats pool_stats() { return pool().stats(); }

}  // namespace legit::spf
