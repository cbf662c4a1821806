// replica_map.cc — the local copy of the Redis store's records and the
// parser of its write log (replica_map.h).
#include "replica_map.h"

#include <charconv>
#include <cmath>
#include <mutex>

namespace legit::replica {
namespace {

// The number of `s` from `at` up to the next `end`, moving past both.
template <typename T>
bool number(std::string_view s, std::size_t& at, char end, T& out) {
  std::size_t stop = s.find(end, at);
  if (stop == std::string_view::npos || !parse_number(s.substr(at, stop - at), out)) return false;
  at = stop + 1;
  return true;
}

}  // namespace

bool parse_items(std::string_view text, std::string_view prefix,
                 const std::function<void(Op, std::string_view, const Item&)>& fn) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t len = 0;
    if (!number(text, at, ':', len) || len > text.size() - at) return false;
    std::string_view key = text.substr(at, len);
    at += len;
    if (at >= text.size() || text[at] != ' ') return false;
    ++at;
    Item it;
    Op op = Op::set;
    if (text.substr(at, 2) == "-\n" || text.substr(at, 2) == "*\n") {
      op = text[at] == '-' ? Op::erase : Op::erase_prefix;
      at += 2;
    } else if (!number(text, at, ' ', it.count) || !number(text, at, ' ', it.first) ||
               !number(text, at, ' ', it.last) || !number(text, at, ' ', it.half_life) ||
               !number(text, at, '\n', it.expires)) {
      return false;
    }
    if (key.substr(0, prefix.size()) == prefix) fn(op, key.substr(prefix.size()), it);
  }
  return true;
}

void Map::read(const KeyBatch& keys, std::int64_t now, std::vector<std::optional<Record>>& out) const {
  out.assign(keys.size(), std::nullopt);
  std::shared_lock lock(mu_);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto it = map_.find(keys[i]);
    if (it == map_.end()) continue;
    const Item& v = it->second;
    if (v.expires >= 0 && v.expires <= now) continue;
    out[i] = Record{decay(v.count, v.last, now, v.half_life), v.first, v.last};
  }
}

void Map::apply(const std::vector<Change>& changes) {
  std::unique_lock lock(mu_);
  for (const Change& c : changes) {
    switch (c.op) {
      case Op::set:
        map_.insert_or_assign(c.key, c.item);
        break;
      case Op::erase:
        map_.erase(c.key);
        break;
      case Op::erase_prefix:
        for (auto it = map_.begin(); it != map_.end();)
          it = it->first.compare(0, c.key.size(), c.key) == 0 ? map_.erase(it) : std::next(it);
        break;
    }
  }
}

void Map::replace(Records all) {
  std::unique_lock lock(mu_);
  map_.swap(all);
}  // the old copy is freed after the lock is released

std::size_t Map::sweep(std::int64_t now) {
  std::unique_lock lock(mu_);
  return std::erase_if(map_, [now](const auto& kv) { return kv.second.expires >= 0 && kv.second.expires <= now; });
}

std::size_t Map::size() const {
  std::shared_lock lock(mu_);
  return map_.size();
}

}  // namespace legit::replica
