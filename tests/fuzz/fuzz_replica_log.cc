// fuzz_replica_log.cc — the Redis write log's items as the local copy reads
// them (milter/memory/replica_map.h: "LEN:KEY C F L H E\n", "LEN:KEY -\n",
// "LEN:KEY *\n"), from a Redis any MX host of the fleet writes to.
// Input: byte 0 picks the key prefix ("", "legit:" or "x"), the rest is the
// entry's text.
// Properties: never a crash; every key handed on lies inside the text and
// starts after the prefix; numbers are finite; the items handed on, written
// back in the same format, parse to the same items (nothing lost or
// altered by the parser); a text that parses keeps parsing after one more
// good item is appended, and a truncated good item never parses.
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "replica_map.h"

namespace {

using legit::replica::Item;
using legit::replica::Op;

struct Seen {
  Op op;
  std::string key;
  Item item;
};

bool parse(std::string_view text, std::string_view prefix, std::vector<Seen>& out) {
  return legit::replica::parse_items(text, prefix, [&](Op op, std::string_view key, const Item& it) {
    legit::fuzz::fuzz_require(key.data() >= text.data() && key.data() + key.size() <= text.data() + text.size(),
                              "a key lies inside the text");
    legit::fuzz::fuzz_require(std::isfinite(it.count) && std::isfinite(it.half_life), "numbers are finite");
    out.push_back({op, std::string(key), it});
  });
}

std::string write(const std::vector<Seen>& items, std::string_view prefix) {
  std::string out;
  char num[160];  // 5 numbers of up to 24 characters each
  for (const auto& s : items) {
    std::string key = std::string(prefix) + s.key;
    out += std::to_string(key.size()) + ":" + key + " ";
    if (s.op == Op::erase) out += "-";
    else if (s.op == Op::erase_prefix) out += "*";
    else {
      std::snprintf(num, sizeof num, "%.17g %lld %lld %.17g %lld", s.item.count, static_cast<long long>(s.item.first),
                    static_cast<long long>(s.item.last), s.item.half_life, static_cast<long long>(s.item.expires));
      out += num;
    }
    out += "\n";
  }
  return out;
}

bool same(const std::vector<Seen>& a, const std::vector<Seen>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Item &x = a[i].item, &y = b[i].item;
    if (a[i].op != b[i].op || a[i].key != b[i].key) return false;
    if (a[i].op == Op::set && (x.count != y.count || x.first != y.first || x.last != y.last ||
                               x.half_life != y.half_life || x.expires != y.expires))
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  if (size < 1) return 0;
  static const std::string_view kPrefixes[] = {"", "legit:", "x"};
  std::string_view prefix = kPrefixes[data[0] % 3];
  std::string text(legit::fuzz::text(data + 1, size - 1));
  std::vector<Seen> items;
  bool ok = parse(text, prefix, items);
  if (!ok) return 0;
  std::vector<Seen> again;
  fuzz_require(parse(write(items, prefix), prefix, again) && same(items, again),
               "items written back parse to the same items");
  std::string good = std::string(prefix) + "h:n:192.0.2.0/24:ok";
  std::string more = text + std::to_string(good.size()) + ":" + good + " 1.5 10 20 86400 -1\n";
  again.clear();
  fuzz_require(parse(more, prefix, again) && again.size() == items.size() + 1, "a good item appended parses");
  again.clear();
  fuzz_require(!parse(more.substr(0, more.size() - 1), prefix, again), "a truncated item does not parse");
  return 0;
}
