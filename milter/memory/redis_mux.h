// redis_mux.h — the messages' reads of the Redis store (redis_store.cc),
// carried by ONE shared connection instead of one connection per message in
// flight, so that a busy milter pays one Redis round trip for several
// messages instead of one each.
//
// Why: on a loaded host a message's own round trip cost about 25–40 µs of
// the milter's CPU (bench/memory.sh): the send wakes Redis (an inter-CPU
// wake-up), and at end-of-data the thread often slept on the answer. With
// 20 connections, 3 or more other reads are in flight when one is sent.
//
// How (no thread of its own; the callers take turns):
// - start(): the request (one HMGET per key, RESP) is appended to the
//   connection's outgoing buffer. It is written at once when no earlier
//   batch is still awaited or the last write is kWindow old; else it waits
//   for the batch in flight (like Nagle's algorithm), and goes out with the
//   other requests gathered meanwhile in one write.
// - finish() at end-of-data: if the ticket's request still waits, it is
//   written now (so end-of-data never waits more than one round trip); then
//   one caller at a time reads the socket and hands every complete answer
//   to its ticket in order (Redis answers a connection's requests in order),
//   so most messages find their answers already parsed: no syscall at all.
//   The others sleep (each on its ticket's condition variable) until their
//   answers come, their deadline passes, or the reader leaves and wakes one
//   of them to read next.
// - Deadline: `deadline` seconds from when the ticket's request was written.
//   A ticket that misses it fails alone (temperror; its answers, when they
//   come, are read and dropped); when no answer came in time for kLateFor,
//   or on any connection failure or malformed answer, every ticket fails
//   and the store backs off (Host::failed), as with per-message connections.
// Bad input: an answer that is not an array of 4 bulk strings/nils fails
// the connection (Host::failed); nothing throws.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "legit/memory.h"
#include "redis_conn.h"
#include "redis_fields.h"

namespace legit::redis_mux {

using Clock = std::chrono::steady_clock;

// What the mux needs from its store.
class Host {
 public:
  virtual ~Host() = default;
  // A connected read context, or nullptr (backing off, or cannot connect:
  // logged by the host).
  virtual redis_conn::Ctx connect_reader() = 0;
  // A connection failure or malformed answer: log, back off.
  virtual void failed(const char* what, const redisContext* c) = 0;
  // A ticket missed its deadline `late_ms` after its request was written.
  virtual void late(long late_ms) = 0;
};

struct Ticket;

class Mux {
 public:
  Mux(Host& host, std::string prefix, double deadline);
  ~Mux();
  Mux(const Mux&) = delete;
  Mux& operator=(const Mux&) = delete;

  // Queues or sends the HMGETs of `keys`; never nullptr (a ticket that
  // failed at once when the store is down).
  std::shared_ptr<Ticket> start(const KeyBatch& keys);
  // The ticket's answers (see the header comment); false = temperror.
  bool finish(Ticket& t, std::int64_t now, std::vector<std::optional<Record>>& out);
  // The message ended without finish(): its answers are dropped.
  void abandon(Ticket& t);

 private:
  bool connected_locked();
  void flush(std::unique_lock<std::mutex>& lk);
  void fail_all_locked(const char* what);
  void close_locked();
  void close_if_idle_locked();
  void hand_over_locked();
  void take_answers_locked(const char* data, std::size_t n);
  void read_turn(std::unique_lock<std::mutex>& lk, Clock::time_point deadline);
  bool wait_locked(Ticket& t, std::unique_lock<std::mutex>& lk);

  Host& host_;
  std::string prefix_;
  Clock::duration deadline_;
  std::mutex mu_;
  redis_conn::Ctx ctx_;
  redisReader* reader_ = nullptr;
  bool broken_ = false;       // failed: close when no one reads or writes it
  bool reading_ = false;      // a caller is in recv() on ctx_
  bool writing_ = false;      // a caller is in send() on ctx_
  bool flush_again_ = false;  // requests were queued for the writer meanwhile
  std::string out_;       // requests not written yet
  std::string batch_;     // the requests being written (writing_)
  std::vector<std::shared_ptr<Ticket>> queued_;  // their tickets, in order
  std::deque<std::shared_ptr<Ticket>> awaiting_;  // written, answers due in this order
  Clock::time_point last_write_{};
  Clock::time_point last_answer_{};  // the last answer (or connect): a hung Redis
};

}  // namespace legit::redis_mux
