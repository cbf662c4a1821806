// spf_pool.h — the bounded pool of threads SPF evaluations run on (issue 11
// item 2: before, one detached std::thread per evaluation, two per message).
//
// libspf2 is synchronous: an evaluation blocks in our DNS layer while its
// lookups are out, so it needs a thread of its own while it runs, but not a
// new one each time. Threads are started on demand, when a job is queued and
// none is idle, up to kMaxThreads, and then kept (idle ones wait on a
// condition variable, costing nothing). Beyond kMaxThreads busy, jobs queue
// and start as threads free up; the caller's own deadline (SpfJob::wait)
// bounds what a queued job can cost a message.
//
// Bad input: none. submit() returns false when no thread exists and none can
// be started (the caller then answers temperror); nothing throws.
#pragma once

#include <cstddef>
#include <functional>

namespace legit::spf {

constexpr std::size_t kMaxThreads = 32;

struct PoolStats {
  std::size_t threads = 0;  // started so far (never more than kMaxThreads)
  std::size_t idle = 0;     // waiting for a job
  std::size_t queued = 0;   // jobs waiting for a thread
  std::size_t submitted = 0;  // jobs ever queued
};

// Runs `job` on a pool thread. `job` must not throw (it is caught and
// dropped if it does).
bool submit(std::function<void()> job);
PoolStats pool_stats();

}  // namespace legit::spf
