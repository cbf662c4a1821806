// memory.cc — Memory (memory.h): reads in the caller's thread, writes queued
// for one writer thread, the keyed hash, and open_memory() for the `memory`
// option.
//
// The writer applies queued updates in batches, gathered after the first one
// arrives for as long as the store asks (Store::batching: Redis 100 ms and
// 512 updates, so another MX host sees a write 0.1 s later, while
// greylisting waits minutes; LMDB 1 s and 4,096, as nobody else reads its
// file and each commit's fsync costs a fixed part of a millisecond),
// one store call and one wake-up per gathering instead of per message
// (flush() and a full batch cut the wait short). A batch the
// store could not reach (Redis down) stays queued and is retried every
// second, so a Redis restart loses nothing; the queue holds at most 200,000
// updates (about 20 MB), beyond which the oldest are dropped and counted in
// the log. A batch the store refuses (LMDB map full, disk error) is dropped
// with a log line (at most one a minute). Every 5 minutes it sweeps expired
// records (LMDB).
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "legit/config.h"
#include "legit/memory.h"
#include "memory_detail.h"
#include "../core/names.h"

namespace legit {

using memory_detail::LogEvery;

double decay(double count, std::int64_t last, std::int64_t now, double half_life) {
  if (half_life <= 0 || now <= last) return count;
  return count * std::exp2(-static_cast<double>(now - last) / half_life);
}

struct Memory::Writer {
  static constexpr std::size_t kMaxQueue = 200000;
  Store::Batching batching;

  std::mutex mu;
  std::condition_variable cv, idle;
  std::deque<Update> queue;
  std::size_t in_flight = 0;
  std::size_t dropped = 0;
  std::uint64_t seq = 0;  // last Update::seq given
  bool hurry = false;     // flush() waits: no gathering until the queue is empty
  bool stop = false;
  LogEvery log;
  std::thread thread;
};

Memory::Memory(std::unique_ptr<Store> store, bool writable, std::string secret)
    : store_(std::move(store)), writable_(writable), clock_([] { return static_cast<std::int64_t>(std::time(nullptr)); }),
      writer_(std::make_unique<Writer>()) {
  secret_ = std::move(secret);
  if (!writable_) return;
  Writer& w = *writer_;
  w.batching = store_->batching();
  w.thread = std::thread([this, &w] {
    auto last_sweep = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(w.mu);
    for (;;) {
      w.cv.wait_for(lock, std::chrono::seconds(1), [&] { return w.stop || !w.queue.empty(); });
      if (std::chrono::steady_clock::now() - last_sweep > std::chrono::minutes(5)) {
        last_sweep = std::chrono::steady_clock::now();
        lock.unlock();
        store_->sweep(now());
        lock.lock();
      }
      if (w.queue.empty()) {
        w.hurry = false;
        if (w.stop) return;
        continue;
      }
      const std::size_t most = w.batching.batch;
      if (w.queue.size() < most && !w.stop && !w.hurry)
        w.cv.wait_for(lock, w.batching.gather, [&] { return w.stop || w.hurry || w.queue.size() >= most; });
      std::size_t n = std::min(w.queue.size(), most);
      // Moved out (no copy under the lock); the queue's first n stay, emptied,
      // and get their updates back if the store asks for a retry.
      std::vector<Update> batch(std::make_move_iterator(w.queue.begin()),
                                std::make_move_iterator(w.queue.begin() + static_cast<std::ptrdiff_t>(n)));
      w.in_flight = n;
      lock.unlock();
      WriteResult r = store_->write(batch);
      lock.lock();
      w.in_flight = 0;
      if (r == WriteResult::retry) {
        std::move(batch.begin(), batch.end(), w.queue.begin());
        w.idle.notify_all();
        if (w.stop) return;  // shutting down with the store unreachable: give up
        w.cv.wait_for(lock, std::chrono::seconds(1), [&] { return w.stop; });
        continue;
      }
      w.queue.erase(w.queue.begin(), w.queue.begin() + static_cast<std::ptrdiff_t>(n));
      if (r == WriteResult::dropped)
        w.log.log(LogLevel::error, "memory: " + store_->describe() + " refused " + std::to_string(n) +
                                       " updates (full or not writable; raise memory-size or check the "
                                       "disk); mail flows, those updates are lost");
      if (w.queue.empty()) {
        w.hurry = false;
        w.idle.notify_all();
      }
    }
  });
}

Memory::~Memory() {
  if (writer_->thread.joinable()) {
    flush(2);
    {
      std::lock_guard<std::mutex> lock(writer_->mu);
      writer_->stop = true;
    }
    writer_->cv.notify_all();
    writer_->thread.join();
  }
}

std::int64_t Memory::now() const { return clock_(); }

bool Memory::read(const std::vector<std::string>& keys, std::vector<std::optional<Record>>& out) {
  return store_->read(keys, now(), out);
}

void Memory::write(std::vector<Update> updates) {
  if (!writable_ || updates.empty()) return;
  std::int64_t t = now();
  Writer& w = *writer_;
  bool wake;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    bool was_empty = w.queue.empty();
    for (auto& u : updates) {
      u.at = t;
      u.seq = ++w.seq;
      w.queue.push_back(std::move(u));
    }
    std::size_t over = w.queue.size() > Writer::kMaxQueue ? w.queue.size() - Writer::kMaxQueue : 0;
    // Never drop what the writer is applying right now (the front in_flight).
    over = std::min(over, w.queue.size() - w.in_flight);
    if (over) {
      w.queue.erase(w.queue.begin() + static_cast<std::ptrdiff_t>(w.in_flight),
                    w.queue.begin() + static_cast<std::ptrdiff_t>(w.in_flight + over));
      w.dropped += over;
      w.log.log(LogLevel::error, "memory: write queue full (" + std::to_string(w.dropped) +
                                     " updates dropped so far): " + store_->describe() + " is down or too slow");
    }
    // The writer waits for a first update, or gathers until a batch is full.
    wake = was_empty || w.queue.size() >= w.batching.batch;
  }
  if (wake) w.cv.notify_one();
}

bool Memory::flush(double seconds) {
  if (!writer_->thread.joinable()) return true;
  Writer& w = *writer_;
  std::unique_lock<std::mutex> lock(w.mu);
  if (!w.queue.empty() || w.in_flight) w.hurry = true;
  w.cv.notify_one();
  return w.idle.wait_for(lock, std::chrono::duration<double>(seconds),
                         [&] { return w.queue.empty() && w.in_flight == 0; });
}

std::string Memory::hash(std::string_view text) {
  char buf[16];
  return hash(text, buf) ? std::string(buf, sizeof buf) : std::string();
}

bool Memory::hash(std::string_view text, char (&out)[16]) {
  if (!have_key_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(secret_mu_);
    if (!have_key_.load(std::memory_order_relaxed)) {
      if (secret_.empty()) {
        auto t = std::chrono::steady_clock::now();
        if (t < secret_retry_) return false;
        secret_ = store_->secret(writable_);
        if (secret_.empty()) {
          secret_retry_ = t + std::chrono::seconds(1);
          return false;
        }
      }
      for (std::size_t i = 0; i < secret_.size(); ++i)
        key_[i % 16] ^= static_cast<std::uint8_t>(secret_[i] + i / 16);
      have_key_.store(true, std::memory_order_release);
    }
  }
  // Lower-cased on the stack for the usual lengths (no allocation per hash).
  char small[256];
  std::string big;
  std::string_view folded;
  if (text.size() <= sizeof small) {
    for (std::size_t i = 0; i < text.size(); ++i)
      small[i] = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    folded = std::string_view(small, text.size());
  } else {
    big = lower(text);
    folded = big;
  }
  std::uint64_t h = memory_detail::siphash24(key_, folded);
  static const char* hex = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, h >>= 4) out[i] = hex[h & 15];
  return true;
}

// The built-in default of `memory`, replaced by $LEGIT_MEMORY_DEFAULT when
// that is set (the test suite sets "none": tests never touch /var/lib).
static std::string effective_spec(const Config& cfg) {
  const std::string& spec = cfg.str("memory");
  const char* env = std::getenv("LEGIT_MEMORY_DEFAULT");
  if (!env || !check_memory_spec(env).empty()) return spec;
  for (const auto& o : core_options())
    if (o.name == "memory" && o.def == spec) return env;
  return spec;
}

std::unique_ptr<Memory> open_memory(const Config& cfg, bool writable, std::string* why, bool daemon) {
  const std::string spec = effective_spec(cfg);
  if (spec == "none" || spec.empty()) return nullptr;
  std::string secret;
  const std::string& secret_file = cfg.str("memory-secret-file");
  if (!secret_file.empty()) {
    std::ifstream in(secret_file);
    if (!in || !std::getline(in, secret) || secret.size() < 16) {
      *why = "memory-secret-file '" + secret_file + "' is unreadable or shorter than 16 characters";
      return nullptr;
    }
  }
  try {
    std::unique_ptr<Store> store;
    if (spec.rfind("lmdb:", 0) == 0) {
      LmdbOptions o;
      o.path = spec.substr(5);
      o.max_bytes = static_cast<std::size_t>(cfg.num("memory-size") * 1048576.0);
      o.read_only = !writable;
      if (!writable && access(o.path.c_str(), R_OK) != 0) {
        *why = spec + ": " + std::strerror(errno) + " (read-only use never creates it)";
        return nullptr;
      }
      store = make_lmdb_store(o);
    } else {
      RedisOptions o = parse_redis_spec(spec);
      o.deadline = cfg.num("memory-timeout");
      if (daemon && cfg.flag("memory-replica"))
        o.replica_records = static_cast<std::size_t>(cfg.num("memory-size") * 1048576.0 / 170.0);
      const std::string& pw_file = cfg.str("memory-password-file");
      if (!pw_file.empty()) {
        std::ifstream in(pw_file);
        if (!in || !std::getline(in, o.password)) {
          *why = "memory-password-file '" + pw_file + "' is unreadable";
          return nullptr;
        }
      }
      store = make_redis_store(o);
    }
    return std::make_unique<Memory>(std::move(store), writable, secret);
  } catch (const std::exception& e) {
    *why = spec + ": " + e.what();
    return nullptr;
  }
}

}  // namespace legit
