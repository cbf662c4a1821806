// test_memory_checks.cc — the memory checks through the engine with a real
// LMDB file and a fixed clock (milter/checks/greylist.cc, history.cc,
// correspondent.cc, milter/memory/recorder.cc): selective greylisting of a
// new triplet, early and timely retries, good scores / rejects / bounces /
// correspondents never greylisted, networks that passed; correspondents and
// replies after our users' outbound mail; history known-good and probing;
// a dead store = temperror and mail flows; one batched read per message,
// sent at end of headers and answered at end-of-data; triplets indexed by
// network, sender and recipient (what `memory forget` erases).
#include <filesystem>

#include "../../milter/memory/keys.h"
#include "config_test_util.h"
#include "legit/memory.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

// Reports one result whose points the config holds (score.<word>).
struct Score : Check {
  static inline std::string word = "doubt";
  std::vector<Finding> finish(Session&) override { return {{"score", word, "scripted", {}}}; }
};
const CheckInfo score_info{"score", "scripted", {}, {}, [](const Config&) { return std::make_unique<Score>(); }};

const CheckInfo* registered(const std::string& name) {
  for (const auto& c : check_registry())
    if (c.name == name) return &c;
  FAIL("no check " << name);
  return nullptr;
}

struct Rig {
  TempDir dir;
  std::int64_t clock = 1'800'000'000;
  std::unique_ptr<Memory> memory;
  Config cfg;
  FakeResolver dns;
  std::unique_ptr<Engine> engine;

  explicit Rig(std::unique_ptr<Store> store = nullptr) {
    if (!store) store = make_lmdb_store({dir.path + "/m.lmdb", 8u << 20, false});
    memory = std::make_unique<Memory>(std::move(store), true, "unit-test-secret-0123");
    memory->set_clock([this] { return clock; });
    cfg = make_config({{"quarantine-below", "-4"}, {"reject-below", "-8"}, {"greylist-below", "0"}});
    cfg.point_table["score.good"] = 3;
    cfg.point_table["score.doubt"] = -2;
    cfg.point_table["score.bad"] = -9;
    engine = std::make_unique<Engine>(cfg, dns, std::vector<const CheckInfo*>{
        &score_info, registered("correspondent"), registered("history"), registered("greylist")});
    engine->set_memory(memory.get());
  }

  Outcome send(const std::string& ip, const std::string& from, const std::string& rcpt,
               std::vector<std::pair<std::string, std::string>> headers = {}, const std::string& auth = "") {
    auto d = engine->open();
    d->connect("unknown", ip);
    d->helo("mail.example.com");
    d->mail_from(from, auth);
    d->rcpt(rcpt);
    for (const auto& [n, v] : headers) d->header(n, v);
    d->end_of_headers();
    Outcome o = d->end_of_message("Q1");
    d->close();
    REQUIRE(memory->flush());
    return o;
  }

  void probe(const std::string& ip) {
    auto d = engine->open();
    d->connect("unknown", ip);
    d->helo("User");
    d->close();
    REQUIRE(memory->flush());
  }
};

}  // namespace

TEST_CASE("greylist: a doubtful new triplet must retry after the delay") {
  Rig r;
  Score::word = "doubt";
  Outcome o = r.send("192.0.2.10", "<a@sender.example>", "<bob@example.net>");
  CHECK(o.action == Action::tempfail);
  CHECK(o.reply_code == "451");
  CHECK(o.reply_xcode == "4.7.1");
  CHECK(o.reply_text == "Greylisted: please try again in 300 seconds");
  CHECK(o.log_line.find("greylist=new-triplet(retry-after-300s)") != std::string::npos);

  r.clock += 100;
  o = r.send("192.0.2.10", "<a@sender.example>", "<bob@example.net>");
  CHECK(o.action == Action::tempfail);
  CHECK(o.log_line.find("greylist=too-early(retry-after-200s)") != std::string::npos);

  r.clock += 250;  // 350 s after the first attempt, from another host of the /24
  o = r.send("192.0.2.11", "<a@sender.example>", "<bob@example.net>");
  CHECK(o.action == Action::accept);
  CHECK(result_of(o, "greylist") == "passed");
  CHECK(o.log_line.find("greylist=passed(retried-after-350s)") != std::string::npos);

  r.clock += 10;  // the same triplet later: known
  o = r.send("192.0.2.10", "<a@sender.example>", "<bob@example.net>");
  CHECK(o.action == Action::accept);
  CHECK(result_of(o, "greylist") == "known");

  // Outside the window the triplet starts over.
  r.clock += 2 * 86400;
  o = r.send("192.0.2.10", "<a@sender.example>", "<carol@example.net>");
  CHECK(o.action == Action::tempfail);
}

TEST_CASE("greylist: a triplet is indexed by its network, sender and recipient, erased it is new again") {
  Rig r;
  Score::word = "doubt";
  CHECK(r.send("192.0.2.10", "<a@sender.example>", "<bob@example.net>").action == Action::tempfail);
  Store& st = r.memory->store();
  std::string triplet;
  for (const std::string& owner : {r.memory->hash("A@sender.example"), r.memory->hash("bob@example.net"),
                                   std::string("192.0.2.0/24")}) {
    std::vector<std::pair<std::string, Record>> index;
    const std::string prefix = mkeys::triplet_index(owner);
    REQUIRE(st.scan(prefix, r.clock, 100, index));
    REQUIRE(index.size() == 1);
    if (triplet.empty()) triplet = index[0].first.substr(prefix.size());
    CHECK(index[0].first.substr(prefix.size()) == triplet);  // the same triplet from each side
  }
  std::vector<std::optional<Record>> out;
  REQUIRE(r.memory->read({"g:t:" + triplet}, out));
  CHECK(out[0]);
  // After the retry passed, the index lives as long as the passed triplet.
  r.clock += 400;
  CHECK(r.send("192.0.2.10", "<a@sender.example>", "<bob@example.net>").action == Action::accept);
  r.clock += 3 * 86400;  // past greylist-window, within the 35 days of g:ok:
  std::vector<std::pair<std::string, Record>> index;
  REQUIRE(st.scan(mkeys::triplet_index(r.memory->hash("a@sender.example")), r.clock, 100, index));
  CHECK(index.size() == 1);
  std::size_t n = 0;
  REQUIRE(st.erase_keys({"g:t:" + triplet, "g:ok:" + triplet, "g:t:absent"}, &n));
  CHECK(n >= 1);  // g:ok: (and g:t:, expired but not swept yet in LMDB)
  Outcome o = r.send("192.0.2.10", "<a@sender.example>", "<bob@example.net>");
  CHECK(o.log_line.find("greylist=new-triplet(retry-after-300s)") != std::string::npos);
}

TEST_CASE("greylist: never good scores, rejects, bounces to our users, correspondents") {
  Rig r;
  Score::word = "good";
  Outcome o = r.send("192.0.2.20", "<a@sender.example>", "<bob@example.net>");
  CHECK(o.action == Action::accept);
  CHECK(result_of(o, "greylist") == "");
  Score::word = "bad";
  o = r.send("192.0.2.20", "<a@sender.example>", "<bob@example.net>");
  CHECK(o.action == Action::reject);

  // Our user alice writes to friend@far.example (authenticated: recorded).
  o = r.send("198.51.100.5", "<alice@example.net>", "<friend@far.example>",
             {{"Message-ID", "<m1@example.net>"}}, "alice");
  CHECK(o.kind == Outcome::Kind::authenticated);

  Score::word = "doubt";
  o = r.send("203.0.113.9", "<>", "<alice@example.net>");  // a bounce of her mail
  CHECK(o.action == Action::accept);
  CHECK(result_of(o, "greylist") == "known");
  o = r.send("203.0.113.9", "<>", "<zed@example.net>");  // a bounce to someone who sent nothing
  CHECK(o.action == Action::tempfail);

  o = r.send("203.0.113.9", "<friend@far.example>", "<alice@example.net>");
  CHECK(result_of(o, "correspondent") == "correspondent");
  CHECK(o.verdict.score == 2);
  CHECK(o.action == Action::accept);

  o = r.send("203.0.113.50", "<other@far.example>", "<alice@example.net>",
             {{"In-Reply-To", "<m1@example.net>"}, {"References", "<x@y> <m1@example.net>"}});
  CHECK(result_of(o, "correspondent") == "reply");
  CHECK(o.verdict.score == 3);
}

TEST_CASE("greylist: a network that passed greylist-known-after times is not greylisted") {
  Rig r;
  Score::word = "doubt";
  for (int i = 0; i < 3; ++i) {
    std::string rcpt = "<u" + std::to_string(i) + "@example.net>";
    CHECK(r.send("192.0.2.30", "<a@sender.example>", rcpt).action == Action::tempfail);
    r.clock += 301;
    CHECK(r.send("192.0.2.30", "<a@sender.example>", rcpt).action == Action::accept);
  }
  Outcome o = r.send("192.0.2.31", "<new@other.example>", "<v@example.net>");
  CHECK(o.action == Action::accept);
  CHECK(result_of(o, "greylist") == "known");
}

TEST_CASE("memory: an address keyed the same in UTF-8 and in A-labels (SMTPUTF8)") {
  std::string buf;
  CHECK(mkeys::address("jörg@bäckerei.example", buf) == "jörg@xn--bckerei-5wa.example");
  buf.clear();
  CHECK(mkeys::address("Bob@Example.NET", buf) == "Bob@Example.NET");  // ASCII: as written, no copy
  CHECK(buf.empty());
  CHECK(mkeys::address("no-at-sign", buf) == "no-at-sign");

  Rig r;
  // Our user writes to the UTF-8 form; the answer comes from the A-label form.
  Outcome o = r.send("198.51.100.5", "<alice@example.net>", "<jörg@bäckerei.example>", {}, "alice");
  CHECK(o.kind == Outcome::Kind::authenticated);
  Score::word = "doubt";
  o = r.send("203.0.113.9", "<jörg@xn--bckerei-5wa.example>", "<alice@example.net>");
  CHECK(result_of(o, "correspondent") == "correspondent");
  // A triplet greylisted in one form passes when retried in the other.
  o = r.send("203.0.113.77", "<m@bäckerei.example>", "<bob@example.net>");
  CHECK(o.action == Action::tempfail);
  r.clock += 301;
  o = r.send("203.0.113.77", "<m@xn--bckerei-5wa.example>", "<bob@example.net>");
  CHECK(result_of(o, "greylist") == "passed");
  CHECK(o.action == Action::accept);
}

TEST_CASE("history: known-good after clean mail, probing after probe sessions") {
  Rig r;
  Score::word = "good";
  Outcome o = r.send("192.0.2.40", "<a@sender.example>", "<bob@example.net>");
  CHECK(result_of(o, "history") == "new");
  for (int i = 0; i < 3; ++i) r.send("192.0.2.41", "<a@sender.example>", "<bob@example.net>");
  o = r.send("192.0.2.42", "<a@sender.example>", "<bob@example.net>");
  CHECK(result_of(o, "history") == "known-good");
  CHECK(o.verdict.score == 5);

  for (int i = 0; i < 4; ++i) r.probe("198.51.100.77");
  o = r.send("198.51.100.78", "<a@sender.example>", "<bob@example.net>");
  CHECK(result_of(o, "history") == "probing");
  CHECK(o.verdict.score == 1);
  r.clock += 5 * 86400;  // probes decay with a half-life of one day
  o = r.send("198.51.100.78", "<a@sender.example>", "<bob@example.net>");
  CHECK(result_of(o, "history") != "probing");
}

TEST_CASE("memory down: temperror, never greylisted, mail flows") {
  TempDir gone;
  RedisOptions ro;
  ro.unix_path = gone.path + "/absent.sock";
  Rig r(make_redis_store(ro));
  Score::word = "doubt";
  auto d = r.engine->open();
  d->connect("unknown", "192.0.2.50");
  d->mail_from("<a@sender.example>", "");
  d->rcpt("<bob@example.net>");
  d->header("In-Reply-To", "<m1@example.net>");
  d->end_of_headers();
  Outcome o = d->end_of_message("Q2");
  CHECK(o.action == Action::accept);
  CHECK(result_of(o, "history") == "temperror");
  CHECK(result_of(o, "correspondent") == "temperror");
  CHECK(result_of(o, "greylist") == "temperror");
  CHECK(o.verdict.score == -2);
}

TEST_CASE("memory: without a memory the checks are silent") {
  FakeResolver dns;
  Config cfg = make_config();
  Engine engine(cfg, dns, {registered("correspondent"), registered("history"), registered("greylist")});
  Msg m;
  m.ip = "192.0.2.60";
  Outcome o = run_message(engine, m);
  CHECK(o.verdict.items.empty());
  CHECK(o.action == Action::accept);
}

namespace {

// Counts what the checks ask of the store (wrapping a real LMDB store).
struct CountingStore : Store {
  std::unique_ptr<Store> inner;
  int reads = 0, starts = 0, finished = 0;
  std::size_t keys = 0;
  explicit CountingStore(std::unique_ptr<Store> s) : inner(std::move(s)) {}
  bool read(const std::vector<std::string>& k, std::int64_t now, std::vector<std::optional<Record>>& out) override {
    ++reads;
    return inner->read(k, now, out);
  }
  std::unique_ptr<PendingRead> start_read(const KeyBatch& k) override {
    struct Counted : PendingRead {
      std::unique_ptr<PendingRead> p;
      int* finished;
      bool finish(std::int64_t now, std::vector<std::optional<Record>>& out) override {
        ++*finished;
        return p->finish(now, out);
      }
    };
    ++starts;
    keys += k.size();
    auto c = std::make_unique<Counted>();
    c->p = inner->start_read(k);
    c->finished = &finished;
    return c;
  }
  WriteResult write(const std::vector<Update>& u) override { return inner->write(u); }
  bool erase_prefix(std::string_view p, std::size_t* n) override { return inner->erase_prefix(p, n); }
  bool scan(std::string_view p, std::int64_t now, std::size_t limit,
            std::vector<std::pair<std::string, Record>>& out) override {
    return inner->scan(p, now, limit, out);
  }
  std::string secret(bool create) override { return inner->secret(create); }
  std::string describe() const override { return inner->describe(); }
};

}  // namespace

TEST_CASE("memory: one batched read per message, sent at end of headers, answered at end-of-data") {
  TempDir dir;
  auto counting = std::make_unique<CountingStore>(make_lmdb_store({dir.path + "/m.lmdb", 8u << 20, false}));
  CountingStore& c = *counting;
  Rig r(std::move(counting));
  Score::word = "doubt";
  auto d = r.engine->open();
  d->connect("unknown", "192.0.2.70");
  d->helo("mail.example.com");
  for (int msg = 1; msg <= 2; ++msg) {
    d->mail_from("<a@sender.example>", "");
    d->rcpt("<bob@example.net>");
    d->rcpt("<carol@example.net>");
    d->header("From", "A <a@other.example>");
    d->header("In-Reply-To", "<m1@example.net>");
    CHECK(c.starts == msg - 1);  // nothing asked before end of headers
    d->end_of_headers();
    CHECK(c.starts == msg);
    CHECK(c.finished == msg - 1);  // the answer is not waited for here
    Outcome o = d->end_of_message("Q3");
    CHECK(c.finished == msg);
    CHECK(result_of(o, "history") == "new");
    CHECK(o.action == Action::tempfail);  // a new triplet in the doubt band
  }
  d->close();
  CHECK(c.reads == 0);
  // history: 4 network + 3 per candidate domain (2); correspondent: 1 id +
  // the sender; greylist: 2 + 2 per recipient (2; 3 for a bounce).
  CHECK(c.keys == 2 * (4 + 6 + 2 + 6));
}
