// reads.cc — KeyBatch, the default Store::start_read and erase_keys, MessageReads
// (memory.h): the memory reads of one message gathered into one batch.
//
// MessageReads on bad input: a key over 500 bytes is still added (stores
// treat it as absent); answers() before anything was added is an empty,
// successful answer; a store that fails makes every later answers() of the
// message nullptr (temperror), never an exception.
#include "legit/memory.h"

namespace legit {

std::size_t KeyBatch::add(std::string_view a, std::string_view b, std::string_view c) {
  buf_.append(a).append(b).append(c);
  ends_.push_back(buf_.size());
  return ends_.size() - 1;
}

namespace {

// The default: nothing happens until finish(), which reads synchronously.
class DeferredRead : public PendingRead {
 public:
  DeferredRead(Store& store, const KeyBatch& keys) : store_(store), keys_(keys) {}
  bool finish(std::int64_t now, std::vector<std::optional<Record>>& out) override {
    std::vector<std::string> keys;
    keys.reserve(keys_.size());
    for (std::size_t i = 0; i < keys_.size(); ++i) keys.emplace_back(keys_[i]);
    return store_.read(keys, now, out);
  }

 private:
  Store& store_;
  const KeyBatch& keys_;
};

}  // namespace

bool Store::erase_keys(const std::vector<std::string>& keys, std::size_t* n) {
  *n = 0;
  for (const auto& k : keys) {
    std::size_t one = 0;
    if (!erase_prefix(k, &one)) return false;
    *n += one;
  }
  return true;
}

std::unique_ptr<PendingRead> Store::start_read(const KeyBatch& keys) {
  return std::make_unique<DeferredRead>(*this, keys);
}

void MessageReads::start(Memory& m) {
  if (state_ != State::gathering || keys_.empty()) return;
  pending_ = m.start_read(keys_);
  state_ = State::sent;
}

const std::vector<std::optional<Record>>* MessageReads::answers(Memory& m) {
  if (state_ == State::gathering) {
    if (keys_.empty()) {
      out_.clear();
      state_ = State::answered;
    } else {
      start(m);
    }
  }
  if (state_ == State::sent) {
    bool ok = pending_->finish(m.now(), out_);
    pending_.reset();
    state_ = ok && out_.size() == keys_.size() ? State::answered : State::failed;
  }
  return state_ == State::answered ? &out_ : nullptr;
}

void MessageReads::reset() {
  shared = Shared{};
  pending_.reset();
  keys_.clear();
  out_.clear();
  state_ = State::gathering;
}

}  // namespace legit
