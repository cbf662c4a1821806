// fuzz_redis_answers.cc — what Redis sends back to the memory's reads
// (milter/memory/redis_fields.h: an HMGET answer per key, parsed by
// hiredis' reader straight into numbers), fed as the shared read connection
// does (redis_mux.cc): in pieces as recv() happens to return them.
// Input: byte 0 picks the piece sizes, the rest is the stream.
// Properties: never a crash; how the stream is cut never changes what is
// parsed (the same answers, fields and verdicts as when fed at once); a
// field read as present is a finite number; a good answer has 4 elements.
#include <cmath>
#include <vector>

#include "fuzz_input.h"
#include "redis_fields.h"

namespace {

struct Parsed {
  int rc;
  legit::redis_fields::FieldSink sink;
};

// Every answer of `stream` fed in pieces of the given sizes (cycled),
// until an error or the end.
std::vector<Parsed> parse(std::string_view stream, const std::vector<std::size_t>& pieces) {
  std::vector<Parsed> out;
  redisReader* r = legit::redis_fields::make_reader();
  if (!r) return out;
  std::size_t at = 0, k = 0;
  bool failed = false;
  Parsed cur{};  // one sink until its answer is complete, as the mux does
  while (at < stream.size() && !failed) {
    std::size_t n = std::min(stream.size() - at, pieces[k++ % pieces.size()]);
    if (redisReaderFeed(r, stream.data() + at, n) != REDIS_OK) break;
    at += n;
    for (;;) {
      cur.rc = legit::redis_fields::next(r, cur.sink);
      if (cur.rc == 0) break;
      out.push_back(cur);
      if (cur.rc < 0) {
        failed = true;
        break;
      }
    }
  }
  redisReaderFree(r);
  return out;
}

bool same(const Parsed& a, const Parsed& b) {
  if (a.rc != b.rc) return false;
  if (a.rc < 0) return true;
  const auto &x = a.sink, &y = b.sink;
  if (x.bad != y.bad || x.elements != y.elements) return false;
  for (int i = 0; i < 4; ++i)
    if (x.present[i] != y.present[i] || (x.present[i] && x.value[i] != y.value[i])) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  if (size < 1) return 0;
  std::string_view stream = legit::fuzz::text(data + 1, size - 1);
  std::vector<std::size_t> pieces{std::size_t(1) + data[0] % 7, std::size_t(1) + data[0] / 7 % 5, 1};
  auto whole = parse(stream, {stream.size() + 1});
  auto cut = parse(stream, pieces);
  fuzz_require(whole.size() == cut.size(), "the same number of answers, however the stream is cut");
  for (std::size_t i = 0; i < whole.size(); ++i) {
    fuzz_require(same(whole[i], cut[i]), "the same answer, however the stream is cut");
    const auto& s = whole[i].sink;
    for (int f = 0; f < 4; ++f) fuzz_require(!s.present[f] || std::isfinite(s.value[f]), "present fields are finite");
  }
  return 0;
}
