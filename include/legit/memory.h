// memory.h — the milter's only shared state: sender history, correspondents
// and greylisting triplets, behind one store interface.
//
// A record is a decaying counter with first/last-seen times and an expiry;
// a set member is a record with count 1 and a TTL. Two stores implement
// Store: LMDB (embedded, default) and Redis (a fleet of MX hosts). Memory
// wraps one store for the milter: batched reads in the caller's thread with
// the store's deadline, fire-and-forget writes applied by one writer thread
// (kept and retried while the store is down, bounded), keyed hashes of
// addresses with the site secret, and one log line per minute per problem.
//
// Errors never throw out of Store or Memory: a read that fails or misses its
// deadline returns false and the caller reports `temperror`; mail flows.
// Memory is process-wide (created once at start-up, outlives config reloads;
// changing `memory` needs a restart) and thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace legit {

class Config;

struct Record {
  double count = 0;     // decayed to the time of the read
  std::int64_t first = 0;  // unix seconds of the first update
  std::int64_t last = 0;   // unix seconds of the last update
};

struct Update {
  std::string key;
  double add = 1;            // added after decaying the old count
  double half_life = 0;      // seconds; 0 = no decay
  std::int64_t ttl = 0;      // record expires ttl seconds after this update
  std::int64_t at = 0;       // unix seconds of the event (set by Memory::write)
  // Sequence number within this Memory's writer (set by Memory::write, from
  // 1, in queue order): a store that cannot tell whether a batch it sent was
  // applied (Redis: connection lost before the replies) may be handed the
  // same updates again; it applies each seq once. 0 = no id, always applied.
  std::uint64_t seq = 0;
};

// Keys in one buffer: adding a key allocates nothing once the buffer has
// grown (one per message, reused). A key is the concatenation of up to
// three parts.
class KeyBatch {
 public:
  std::size_t add(std::string_view a, std::string_view b = {}, std::string_view c = {});  // its index
  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::string_view operator[](std::size_t i) const {
    std::size_t from = i ? ends_[i - 1] : 0;
    return std::string_view(buf_).substr(from, ends_[i] - from);
  }
  void clear() {
    buf_.clear();
    ends_.clear();
  }

 private:
  std::string buf_;
  std::vector<std::size_t> ends_;
};

// A batched read sent and not yet answered (Store::start_read). finish()
// collects the answer (waiting up to the store's deadline): false = the
// store failed or missed its deadline (temperror). Destroying it unfinished
// abandons the read.
class PendingRead {
 public:
  virtual ~PendingRead() = default;
  virtual bool finish(std::int64_t now, std::vector<std::optional<Record>>& out) = 0;
};

// Decays `count`, last updated at `last`, to `now` with `half_life` seconds.
double decay(double count, std::int64_t last, std::int64_t now, double half_life);

enum class WriteResult { ok, retry /* store unreachable: keep */, dropped /* full, broken */ };

// The local copy of a Redis memory (redis_replica.h), for the metrics.
struct CopyState {
  bool kept = false;     // a copy is kept (memory-replica, not too big)
  bool in_step = false;  // reads are served from it now
  std::size_t records = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // One entry per key (nullopt = no such record or expired). False = the
  // store failed or missed its deadline; `out` is then unspecified.
  virtual bool read(const std::vector<std::string>& keys, std::int64_t now,
                    std::vector<std::optional<Record>>& out) = 0;
  // Starts reading `keys` (alive and unchanged until finish()) and returns
  // at once when the store can work while the caller does (Redis: the
  // request is sent, the answer read by finish()); never nullptr. Default:
  // read() at finish().
  virtual std::unique_ptr<PendingRead> start_read(const KeyBatch& keys);
  // Applies the updates atomically per key (decay, add, set ttl).
  virtual WriteResult write(const std::vector<Update>& updates) = 0;
  // Deletes every record whose key starts with `prefix`; count in *n.
  virtual bool erase_prefix(std::string_view prefix, std::size_t* n) = 0;
  // Deletes these records (absent ones are no error); count in *n. Default:
  // erase_prefix of each key (exact for keys that are no other key's prefix,
  // like g:t:HASH).
  virtual bool erase_keys(const std::vector<std::string>& keys, std::size_t* n);
  // Live records whose key starts with `prefix`, at most `limit`.
  virtual bool scan(std::string_view prefix, std::int64_t now, std::size_t limit,
                    std::vector<std::pair<std::string, Record>>& out) = 0;
  // The site secret kept in the store, created once (atomically) when missing
  // and `create` is set. "" = not available (read-only and absent, or failed).
  virtual std::string secret(bool create) = 0;
  // Deletes expired records (LMDB; Redis expires by itself). Count removed.
  virtual std::size_t sweep(std::int64_t /*now*/) { return 0; }
  // The local copy, if this store keeps one (Redis in the daemon).
  virtual CopyState copy_state() const { return {}; }
  // How the Memory writer batches for this store: it gathers updates for up
  // to `gather` after the first, at most `batch` per write() (memory.cc).
  struct Batching {
    std::chrono::milliseconds gather{100};
    std::size_t batch = 512;
  };
  virtual Batching batching() const { return {}; }
  virtual std::string describe() const = 0;  // "lmdb:/path", "redis://host:port/0"
};

struct LmdbOptions {
  std::string path;
  std::size_t max_bytes = 128u << 20;
  bool read_only = false;
};
// Throws std::runtime_error with the reason when the file cannot be opened.
std::unique_ptr<Store> make_lmdb_store(const LmdbOptions& o);

struct RedisOptions {
  std::string host;          // TCP host, or "" with unix_path
  int port = 6379;
  std::string unix_path;
  int db = 0;
  std::string password;      // "" = no AUTH; "user password" = ACL user
  double deadline = 0.02;    // seconds per call (reads); writes get 10x, capped 1 s
  std::string prefix = "legit:";
  // Keep a local copy of the records, in step with the write log, and read
  // it instead of Redis (redis_replica.h); 0 = no copy. Copies larger than
  // this many records are not made.
  std::size_t replica_records = 0;
};
// Never connects here (lazy): an unreachable Redis at start-up is temperror.
std::unique_ptr<Store> make_redis_store(const RedisOptions& o);

// "redis://host[:port][/db]" or "unix:/path[?db=N]" (check_memory_spec first).
RedisOptions parse_redis_spec(const std::string& spec);

// Parses `memory` (lmdb:/path, redis://host[:port][/db], unix:/path[?db=N],
// none). Returns "" when fine, else why not (phrased to follow the value).
std::string check_memory_spec(const std::string& spec);

class Memory {
 public:
  // `secret` "" = take (or create) the one kept in the store.
  Memory(std::unique_ptr<Store> store, bool writable, std::string secret = "");
  ~Memory();  // applies what is queued (bounded wait), stops the writer
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;

  // Batched read, decayed to now(). False = temperror.
  bool read(const std::vector<std::string>& keys, std::vector<std::optional<Record>>& out);
  // Sends a batched read now, answered later (Store::start_read).
  std::unique_ptr<PendingRead> start_read(const KeyBatch& keys) { return store_->start_read(keys); }
  // Queues updates (stamped now()); returns at once. No-op when read-only.
  void write(std::vector<Update> updates);
  // Waits until the queue is applied or `seconds` passed; true when empty.
  bool flush(double seconds = 5);
  // Keyed hash (SipHash-2-4 with the site secret) of lower-cased text, 16
  // hex digits; "" when the secret is not available yet (then: temperror).
  std::string hash(std::string_view text);
  // The same into `out` without allocating; false when the secret is not
  // available yet.
  bool hash(std::string_view text, char (&out)[16]);
  std::int64_t now() const;
  bool writable() const { return writable_; }
  Store& store() { return *store_; }
  CopyState copy_state() const { return store_->copy_state(); }
  std::string describe() const { return store_->describe(); }

  // Tests: a fixed clock.
  void set_clock(std::function<std::int64_t()> clock) { clock_ = std::move(clock); }

 private:
  struct Writer;
  std::unique_ptr<Store> store_;
  bool writable_;
  std::function<std::int64_t()> clock_;
  std::mutex secret_mu_;
  std::string secret_;  // "" until known
  std::atomic<bool> have_key_{false};
  std::uint8_t key_[16] = {};  // SipHash key derived from secret_, set once before have_key_
  std::chrono::steady_clock::time_point secret_retry_{};
  std::unique_ptr<Writer> writer_;
};

// The memory reads of one message, gathered into one batch: each check adds
// its keys at end of headers (add() returns the index of the key's answer),
// the engine sends the batch once after every check's on_eoh (start(): one
// round trip per message, answered while the body is still coming), and the
// first check that needs the answers at end-of-data waits for them
// (answers(): the store's deadline at most; nullptr = temperror). reset()
// at each MAIL FROM. One per Session; not thread-safe (one SMTP dialogue).
class MessageReads {
 public:
  std::size_t add(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
    return keys_.add(a, b, c);
  }
  void start(Memory& m);  // no-op when nothing was added or already started
  const std::vector<std::optional<Record>>* answers(Memory& m);  // starts it if needed
  void reset();

  // What the memory checks and the recorder derive from the same message,
  // computed once by the first that needs it (milter/memory/keys.h:
  // mkeys::network, sender_domain, from_domain, authenticated); reset() at
  // each MAIL FROM clears it.
  struct Shared {
    std::string network, sender_domain, from_domain;
    std::vector<std::string> authenticated;
    bool have_network = false, have_sender_domain = false, have_from_domain = false, have_authenticated = false;
  } shared;

 private:
  KeyBatch keys_;
  std::unique_ptr<PendingRead> pending_;
  std::vector<std::optional<Record>> out_;
  enum class State { gathering, sent, answered, failed } state_ = State::gathering;
};

// Opens the store named by cfg's `memory` option: nullptr for `none`, and
// nullptr with *why set when it cannot be opened (missing or unwritable
// directory, bad secret file): the caller logs and runs without memory.
// `writable` = false opens LMDB read-only and never creates anything.
// `daemon`: the milter itself (a Redis store then keeps a local copy when
// memory-replica is on; `check` and `memory` read Redis).
std::unique_ptr<Memory> open_memory(const Config& cfg, bool writable, std::string* why, bool daemon = false);

}  // namespace legit
