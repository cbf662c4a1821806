// redis_mux.cc — one shared read connection for the messages' Redis reads
// (redis_mux.h).
#include "redis_mux.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "redis_script.h"

namespace legit::redis_mux {

namespace {
// A request waits for the batch in flight at most this long before it is
// written with the others gathered meanwhile.
constexpr auto kWindow = std::chrono::microseconds(1000);
// No answer at all for this long while tickets miss their deadline: Redis
// is hung (or starved), back off.
constexpr auto kLateFor = std::chrono::milliseconds(100);
// Idle this long, the connection is checked before use (connected_locked).
constexpr auto kIdle = std::chrono::seconds(1);
}  // namespace

struct Ticket {
  enum class State { queued, sent, done, failed, abandoned };
  State state = State::queued;
  std::vector<redis_fields::FieldSink> fields;  // one per key
  std::size_t got = 0;                          // answers taken so far
  Clock::time_point sent{};
  bool waiting = false;          // its owner sleeps on cv (finish)
  std::condition_variable cv;    // woken when done, failed, sent, or to read
};

Mux::Mux(Host& host, std::string prefix, double deadline)
    : host_(host),
      prefix_(std::move(prefix)),
      deadline_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(deadline))) {}

Mux::~Mux() {
  std::lock_guard<std::mutex> lk(mu_);
  close_locked();
}

void Mux::close_locked() {
  ctx_.reset();
  if (reader_) redisReaderFree(reader_);
  reader_ = nullptr;
  broken_ = false;
}

// A usable connection (connecting when there is none); false = down.
// An idle connection that Redis closed meanwhile (`timeout` in redis.conf,
// a proxy or a NAT that drops idle flows) is noticed before it is used:
// after kIdle without traffic one poll() looks for its end of file, and the
// read goes on a fresh connection instead of failing and backing off.
bool Mux::connected_locked() {
  if (broken_) {
    if (reading_ || writing_) return false;  // another caller still uses the old socket
    close_locked();
  }
  if (ctx_ && awaiting_.empty() && queued_.empty() && !reading_ && !writing_ &&
      Clock::now() - std::max(last_write_, last_answer_) > kIdle) {
    if (redis_conn::gone_while_idle(ctx_.get())) close_locked();
  }
  if (ctx_) return true;
  ctx_ = host_.connect_reader();
  if (!ctx_) return false;
  reader_ = redis_fields::make_reader();
  if (!reader_) {
    ctx_.reset();
    return false;
  }
  last_answer_ = Clock::now();
  return true;
}

std::shared_ptr<Ticket> Mux::start(const KeyBatch& keys) {
  auto t = std::make_shared<Ticket>();
  t->fields.resize(keys.size());
  if (keys.empty()) {
    t->state = Ticket::State::done;
    return t;
  }
  thread_local std::string req;  // formatted before taking the lock
  req.clear();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    req += "*6\r\n$5\r\nHMGET\r\n";
    resp::bulk(req, prefix_, keys[i]);
    req += "$1\r\nc\r\n$1\r\nf\r\n$1\r\nl\r\n$1\r\nh\r\n";
  }
  std::unique_lock<std::mutex> lk(mu_);
  if (!connected_locked()) {
    t->state = Ticket::State::failed;
    return t;
  }
  out_ += req;
  queued_.push_back(t);
  if (awaiting_.empty() || Clock::now() - last_write_ >= kWindow) flush(lk);
  return t;
}

// Writes every queued request, outside the lock, one caller at a time (the
// requests go out in the order their tickets join awaiting_, the order of
// Redis' answers); a caller that finds a write in progress leaves its
// requests to that writer, which writes again before it stops.
void Mux::flush(std::unique_lock<std::mutex>& lk) {
  if (writing_) {
    flush_again_ = true;
    return;
  }
  while (!queued_.empty()) {
    if (!ctx_ || broken_) return fail_all_locked("read");
    flush_again_ = false;
    std::string& batch = batch_;  // only the writer (writing_) touches it
    batch.clear();
    batch.swap(out_);  // out_ keeps the old batch's buffer
    auto now = Clock::now();
    last_write_ = now;
    for (auto& t : queued_) {
      if (t->state == Ticket::State::queued) t->state = Ticket::State::sent;
      t->sent = now;
      if (t->waiting) t->cv.notify_one();  // sent: its owner may read now
      awaiting_.push_back(std::move(t));
    }
    queued_.clear();
    writing_ = true;
    int fd = ctx_->fd;
    lk.unlock();
    ssize_t n = 0;
    int err = 0;
    for (std::size_t at = 0; at < batch.size();) {
      n = ::send(fd, batch.data() + at, batch.size() - at, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        err = n < 0 ? errno : EPIPE;
        break;
      }
      at += static_cast<std::size_t>(n);
    }
    lk.lock();
    writing_ = false;
    if (err) {
      if (ctx_ && !broken_) {
        ctx_->err = REDIS_ERR_IO;
        std::snprintf(ctx_->errstr, sizeof ctx_->errstr, "send: %s", std::strerror(err));
      }
      return fail_all_locked("read");
    }
    if (broken_) return close_if_idle_locked();
    if (!flush_again_) return;
  }
}

void Mux::close_if_idle_locked() {
  if (broken_ && !reading_ && !writing_) close_locked();
}

// Wakes the owner of the first ticket still due whose owner sleeps, to
// take the reader's turn.
void Mux::hand_over_locked() {
  for (auto& t : awaiting_)
    if (t->waiting && t->state == Ticket::State::sent) return t->cv.notify_one();
}

// Every ticket in flight fails, the store backs off; the socket is closed
// now or, when a caller is reading or writing it, when that caller is done.
void Mux::fail_all_locked(const char* what) {
  host_.failed(what, ctx_.get());
  auto fail = [](Ticket& t) {
    if (t.state != Ticket::State::abandoned) t.state = Ticket::State::failed;
    if (t.waiting) t.cv.notify_one();
  };
  for (auto& t : awaiting_) fail(*t);
  for (auto& t : queued_) fail(*t);
  awaiting_.clear();
  queued_.clear();
  out_.clear();
  broken_ = true;
  close_if_idle_locked();
}

// Feeds what recv() got and hands each complete answer to the ticket at the
// front (Redis answers in request order).
void Mux::take_answers_locked(const char* data, std::size_t n) {
  if (redisReaderFeed(reader_, data, n) != REDIS_OK) return fail_all_locked("read (reader)");
  last_answer_ = Clock::now();
  for (;;) {
    if (awaiting_.empty()) {
      // Bytes nobody asked for: the stream is not ours (never parsed: an
      // answer begun here would keep a sink that is gone).
      if (redis_fields::unread(reader_)) fail_all_locked("read (unexpected answer)");
      return;
    }
    // Into the ticket's own field even when it was abandoned meanwhile: an
    // answer split across two recv() keeps its sink (redis_fields::next).
    Ticket& t = *awaiting_.front();
    redis_fields::FieldSink& sink = t.fields[t.got];
    int r = redis_fields::next(reader_, sink);
    if (r == 0) return;
    if (r < 0 || sink.bad || sink.elements != 4) return fail_all_locked("read (bad reply)");
    if (++t.got == t.fields.size()) {
      if (t.state == Ticket::State::sent) t.state = Ticket::State::done;
      if (t.waiting) t.cv.notify_one();
      awaiting_.pop_front();
    }
  }
}

// One turn as the reader: waits for data until `deadline`, takes the
// answers; the lock is released while waiting.
void Mux::read_turn(std::unique_lock<std::mutex>& lk, Clock::time_point deadline) {
  reading_ = true;
  int fd = ctx_->fd;
  lk.unlock();
  char buf[16384];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  bool timed_out = false;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count() + 1;
    pollfd p{fd, POLLIN, 0};
    int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (ready > 0) n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    else timed_out = ready == 0 || errno == EINTR, n = -1;
  }
  int err = errno;
  lk.lock();
  reading_ = false;
  if (broken_) {
    close_if_idle_locked();
  } else if (n > 0) {
    take_answers_locked(buf, static_cast<std::size_t>(n));
    if (awaiting_.empty() && !queued_.empty()) flush(lk);  // the next batch
  } else if (!timed_out && !(n < 0 && (err == EAGAIN || err == EINTR))) {
    if (n == 0) std::snprintf(ctx_->errstr, sizeof ctx_->errstr, "connection closed by Redis");
    else std::snprintf(ctx_->errstr, sizeof ctx_->errstr, "recv: %s", std::strerror(err));
    ctx_->err = REDIS_ERR_IO;
    fail_all_locked("read");
  }
}

bool Mux::finish(Ticket& t, std::int64_t now, std::vector<std::optional<Record>>& out) {
  std::unique_lock<std::mutex> lk(mu_);
  bool ok = wait_locked(t, lk);
  if (!reading_) hand_over_locked();  // someone must read for the others
  lk.unlock();
  if (!ok) return false;
  out.assign(t.fields.size(), std::nullopt);
  for (std::size_t i = 0; i < t.fields.size(); ++i) {
    const auto& f = t.fields[i];
    if (!f.present[0]) continue;
    auto first = static_cast<std::int64_t>(f.value[1]), last = static_cast<std::int64_t>(f.value[2]);
    out[i] = Record{decay(f.value[0], last, now, f.value[3]), first, last};
  }
  return true;
}

// Until the ticket is answered (true), failed or late (false): writes it if
// it still waits for the batch in flight, reads when no one else does, else
// sleeps until woken (answered, written, or the reader's turn) or late.
bool Mux::wait_locked(Ticket& t, std::unique_lock<std::mutex>& lk) {
  for (;;) {
    if (t.state == Ticket::State::queued) {
      flush(lk);  // its end-of-data: no more waiting for the batch in flight
      if (t.state == Ticket::State::queued) {  // another caller is writing it
        t.waiting = true;
        t.cv.wait_for(lk, deadline_);
        t.waiting = false;
        if (t.state == Ticket::State::queued) {
          t.state = Ticket::State::abandoned;
          return false;
        }
        continue;
      }
    }
    if (t.state == Ticket::State::done) return true;
    if (t.state != Ticket::State::sent) return false;
    auto deadline = t.sent + deadline_;
    bool in_time = Clock::now() < deadline;
    if (in_time && !reading_ && ctx_ && !broken_) {
      read_turn(lk, deadline);
      continue;
    }
    if (in_time) {
      t.waiting = true;
      t.cv.wait_until(lk, deadline);
      t.waiting = false;
      continue;
    }
    // Late: this ticket fails alone, unless Redis has been silent too long
    // (no answer since the oldest request still due was written).
    t.state = Ticket::State::abandoned;
    auto now_c = Clock::now();
    auto silent_since = awaiting_.empty() ? last_answer_ : std::max(last_answer_, awaiting_.front()->sent);
    if (now_c - silent_since > kLateFor) {
      fail_all_locked("read (no answer within memory-timeout for 0.1 s)");
    } else {
      lk.unlock();
      host_.late(static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(now_c - t.sent).count()));
      lk.lock();
    }
    return false;
  }
}

void Mux::abandon(Ticket& t) {
  std::lock_guard<std::mutex> lk(mu_);
  if (t.state == Ticket::State::queued || t.state == Ticket::State::sent) t.state = Ticket::State::abandoned;
}

}  // namespace legit::redis_mux
