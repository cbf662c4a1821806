// lmdb_store.cc — the embedded store: one LMDB file (MDB_NOSUBDIR; LMDB adds
// PATH-lock), bounded by its map size, crash-safe (copy-on-write B+tree,
// synced at each commit; the Memory writer batches updates per commit).
// MDB_NOMETASYNC: each commit syncs the data pages but not the meta page,
// which the next commit (or the OS) syncs: one fsync per commit instead of
// two. LMDB keeps the file consistent either way; a crash of the milter
// loses nothing (the page cache holds it), a crash of the whole machine may
// undo the last committed batch (up to 512 history updates of the last
// moments): acceptable for counters that decay over days.
//
// Value layout (host byte order, 40 bytes): count, half-life (double), last,
// first, expires (int64 unix seconds). Expired records read as absent and
// are deleted by sweep() (called by the Memory writer every few minutes, and
// when the map is full). A value of another size is treated as absent.
// Reads run in the caller's thread (MDB_NOTLS: a read transaction is not
// tied to a thread, and libmilter has many); there is one writer.
// Failures return false / WriteResult::dropped (the map is full, the disk
// is): the caller logs; nothing throws after construction.
#include <lmdb.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "legit/memory.h"
#include "memory_detail.h"

namespace legit {
namespace {

struct Value {
  double count;
  double half_life;
  std::int64_t last;
  std::int64_t first;
  std::int64_t expires;
};
static_assert(sizeof(Value) == 40);

std::optional<Value> decode(const MDB_val& v) {
  if (v.mv_size != sizeof(Value)) return std::nullopt;
  Value out;
  std::memcpy(&out, v.mv_data, sizeof out);
  return out;
}

MDB_val val_of(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }

struct TxnDeleter {
  void operator()(MDB_txn* t) const { mdb_txn_abort(t); }
};
using Txn = std::unique_ptr<MDB_txn, TxnDeleter>;

// A cursor of one transaction, closed before the transaction ends.
class Cursor {
 public:
  Cursor(MDB_txn* t, MDB_dbi dbi) {
    if (mdb_cursor_open(t, dbi, &c_) != 0) c_ = nullptr;
  }
  ~Cursor() { reset(); }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  explicit operator bool() const { return c_ != nullptr; }
  MDB_cursor* get() const { return c_; }
  void reset() {
    if (c_) mdb_cursor_close(c_);
    c_ = nullptr;
  }

 private:
  MDB_cursor* c_ = nullptr;
};

class LmdbStore : public Store {
 public:
  explicit LmdbStore(const LmdbOptions& o) : path_(o.path), read_only_(o.read_only) {
    MDB_env* env = nullptr;
    int rc = mdb_env_create(&env);
    if (rc != 0) throw std::runtime_error(mdb_strerror(rc));
    env_.reset(env);
    mdb_env_set_maxreaders(env, 1024);  // libmilter: one thread per connection
    mdb_env_set_mapsize(env, o.max_bytes);
    unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | (read_only_ ? MDB_RDONLY : MDB_NOMETASYNC);
    rc = mdb_env_open(env, path_.c_str(), flags, 0640);
    if (rc != 0) throw std::runtime_error(mdb_strerror(rc));
    MDB_txn* t = nullptr;
    rc = mdb_txn_begin(env, nullptr, read_only_ ? MDB_RDONLY : 0, &t);
    if (rc != 0) throw std::runtime_error(mdb_strerror(rc));
    Txn txn(t);
    rc = mdb_dbi_open(t, nullptr, 0, &dbi_);
    if (rc != 0) throw std::runtime_error(mdb_strerror(rc));
    if (!read_only_ && (rc = mdb_txn_commit(txn.release())) != 0)
      throw std::runtime_error(mdb_strerror(rc));
  }

  bool read(const std::vector<std::string>& keys, std::int64_t now,
            std::vector<std::optional<Record>>& out) override {
    return read_keys(keys, now, out);
  }

  // In-process and quick: the read is done when its answer is wanted.
  std::unique_ptr<PendingRead> start_read(const KeyBatch& keys) override {
    struct Read : PendingRead {
      Read(LmdbStore& s, const KeyBatch& k) : store(s), keys(k) {}
      bool finish(std::int64_t now, std::vector<std::optional<Record>>& out) override {
        return store.read_keys(keys, now, out);
      }
      LmdbStore& store;
      const KeyBatch& keys;
    };
    return std::make_unique<Read>(*this, keys);
  }

  // One cursor: MDB_SET starts from the page the cursor is on when the next
  // key is there (a message's keys come grouped: a network's four counters,
  // a domain's three, are neighbours) instead of descending from the root.
  template <class Keys>
  bool read_keys(const Keys& keys, std::int64_t now, std::vector<std::optional<Record>>& out) {
    out.assign(keys.size(), std::nullopt);
    MDB_txn* t = nullptr;
    if (mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &t) != 0) return false;
    Txn txn(t);
    Cursor cursor(t, dbi_);
    if (!cursor) return false;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      std::string_view key = keys[i];
      MDB_val k = val_of(key), v{};
      if (key.empty() || key.size() > 500) continue;
      int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET);
      if (rc == MDB_NOTFOUND) continue;
      if (rc != 0) return false;
      if (auto val = decode(v); val && val->expires > now)
        out[i] = Record{decay(val->count, val->last, now, val->half_life), val->first, val->last};
    }
    return true;
  }

  WriteResult write(const std::vector<Update>& updates) override {
    if (read_only_) return WriteResult::dropped;
    std::lock_guard<std::mutex> lock(write_mu_);
    int rc = apply(updates);
    if (rc == MDB_MAP_FULL && sweep_locked(updates.empty() ? 0 : updates.back().at) > 0)
      rc = apply(updates);
    if (rc == 0) return WriteResult::ok;
    last_error_ = mdb_strerror(rc);
    return WriteResult::dropped;
  }

  bool erase_prefix(std::string_view prefix, std::size_t* n) override {
    std::lock_guard<std::mutex> lock(write_mu_);
    return for_prefix(prefix, [](MDB_cursor* c, const Value&) {
      return mdb_cursor_del(c, 0) == 0;
    }, n, /*write=*/true);
  }

  bool scan(std::string_view prefix, std::int64_t now, std::size_t limit,
            std::vector<std::pair<std::string, Record>>& out) override {
    MDB_txn* t = nullptr;
    if (mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &t) != 0) return false;
    Txn txn(t);
    Cursor c(t, dbi_);
    if (!c) return false;
    MDB_val k = val_of(prefix), v{};
    MDB_cursor_op op = prefix.empty() ? MDB_FIRST : MDB_SET_RANGE;
    while (out.size() < limit && mdb_cursor_get(c.get(), &k, &v, op) == 0) {
      op = MDB_NEXT;
      std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
      if (key.substr(0, prefix.size()) != prefix) break;
      auto val = decode(v);
      if (val && val->expires > now && key != kSecretKey)
        out.emplace_back(std::string(key),
                         Record{decay(val->count, val->last, now, val->half_life), val->first, val->last});
    }
    return true;
  }

  std::string secret(bool create) override {
    MDB_val k = val_of(kSecretKey), v{};
    {
      MDB_txn* t = nullptr;
      if (mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &t) != 0) return "";
      Txn txn(t);
      if (mdb_get(t, dbi_, &k, &v) == 0) return std::string(static_cast<const char*>(v.mv_data), v.mv_size);
    }
    if (!create || read_only_) return "";
    std::lock_guard<std::mutex> lock(write_mu_);
    MDB_txn* t = nullptr;
    if (mdb_txn_begin(env_.get(), nullptr, 0, &t) != 0) return "";
    Txn txn(t);
    std::string fresh = memory_detail::random_hex(16);
    MDB_val nv = val_of(fresh);
    int rc = mdb_put(t, dbi_, &k, &nv, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) return std::string(static_cast<const char*>(nv.mv_data), nv.mv_size);
    if (rc != 0 || mdb_txn_commit(txn.release()) != 0) return "";
    return fresh;
  }

  std::size_t sweep(std::int64_t now) override {
    if (read_only_) return 0;
    std::lock_guard<std::mutex> lock(write_mu_);
    return sweep_locked(now);
  }

  std::string describe() const override { return "lmdb:" + path_; }
  // Gathered for 1 s: nobody else reads the file (no fleet to keep in step),
  // and a commit's fsync costs about the same for 100 updates as for 4,000.
  Batching batching() const override { return {std::chrono::milliseconds(1000), 4096}; }

 private:
  static constexpr std::string_view kSecretKey = "\x01secret";

  // One write transaction for the batch, in key order (stable: two updates
  // of one key apply in turn) through one cursor: an existing record is
  // found once and overwritten where it is (MDB_CURRENT, same size), not
  // looked up again by mdb_put. Returns an LMDB error code.
  int apply(const std::vector<Update>& updates) {
    std::vector<const Update*> order;
    order.reserve(updates.size());
    for (const auto& u : updates)
      if (!u.key.empty() && u.key.size() <= 500) order.push_back(&u);
    std::stable_sort(order.begin(), order.end(), [](const Update* a, const Update* b) { return a->key < b->key; });
    MDB_txn* t = nullptr;
    int rc = mdb_txn_begin(env_.get(), nullptr, 0, &t);
    if (rc != 0) return rc;
    Txn txn(t);
    Cursor cursor(t, dbi_);
    if (!cursor) return EINVAL;
    for (const Update* u : order) {
      MDB_val k = val_of(u->key), v{};
      Value val{0, u->half_life, u->at, u->at, 0};
      bool found = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET) == 0;
      auto old = found ? decode(v) : std::nullopt;
      if (old && old->expires > u->at) {
        val.count = decay(old->count, old->last, u->at, old->half_life);
        val.first = old->first;
        val.last = std::max(old->last, u->at);
      }
      val.count += u->add;
      val.expires = std::max<std::int64_t>(u->at + u->ttl, val.expires);
      MDB_val nv{sizeof val, &val};
      if ((rc = mdb_cursor_put(cursor.get(), &k, &nv, old ? MDB_CURRENT : 0)) != 0) return rc;
    }
    cursor.reset();
    return mdb_txn_commit(txn.release());
  }

  std::size_t sweep_locked(std::int64_t now) {
    std::size_t n = 0;
    for_prefix("", [now](MDB_cursor* c, const Value& v) {
      return v.expires <= now ? mdb_cursor_del(c, 0) == 0 : false;
    }, &n, true);
    return n;
  }

  // Visits the records under `prefix` in one transaction; fn returns true
  // when it changed (deleted) the record, counted in *n.
  template <typename F>
  bool for_prefix(std::string_view prefix, F fn, std::size_t* n, bool write) {
    if (n) *n = 0;
    if (read_only_ && write) return false;
    MDB_txn* t = nullptr;
    if (mdb_txn_begin(env_.get(), nullptr, write ? 0 : MDB_RDONLY, &t) != 0) return false;
    Txn txn(t);
    Cursor c(t, dbi_);
    if (!c) return false;
    MDB_val k = val_of(prefix), v{};
    MDB_cursor_op op = prefix.empty() ? MDB_FIRST : MDB_SET_RANGE;
    while (mdb_cursor_get(c.get(), &k, &v, op) == 0) {
      std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
      if (key.substr(0, prefix.size()) != prefix) break;
      auto val = decode(v);
      bool changed = val && key != kSecretKey && fn(c.get(), *val);
      if (changed && n) ++*n;
      op = MDB_NEXT;  // after mdb_cursor_del, MDB_NEXT yields the record that followed
    }
    c.reset();
    return mdb_txn_commit(txn.release()) == 0;
  }

  struct EnvDeleter {
    void operator()(MDB_env* e) const { mdb_env_close(e); }
  };
  std::string path_;
  bool read_only_;
  std::unique_ptr<MDB_env, EnvDeleter> env_;
  MDB_dbi dbi_ = 0;
  std::mutex write_mu_;
  std::string last_error_;
};

}  // namespace

std::unique_ptr<Store> make_lmdb_store(const LmdbOptions& o) { return std::make_unique<LmdbStore>(o); }

}  // namespace legit
