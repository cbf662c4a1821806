// correspondent.cc — does our side know this sender? Mail from SASL-
// authenticated users records its recipients and Message-ID (recorder.cc);
// inbound mail is checked against them here (keys in milter/memory/keys.h).
//
// Results:
//   reply          In-Reply-To/References names a Message-ID one of our
//                  users sent (60 days)
//   correspondent  the envelope sender is an address our users wrote to
//                  (400 days)
//   temperror      the store failed or missed its deadline and nothing matched
// No finding otherwise (a stranger is not evidence), nor without a memory.
// Only keyed hashes are looked up. One batched read at end of headers.
#include "../memory/keys.h"
#include "legit/check.h"
#include "legit/headers.h"
#include "legit/memory.h"

namespace legit {
namespace {

class Correspondent : public Check {
 public:
  void on_mail(Session&) override { result_ = Finding{}; }

  void on_eoh(Session& s) override {
    if (!s.memory) return;
    Memory& m = *s.memory;
    std::vector<std::string> keys;
    bool hashed = true;  // false: the site secret is not available (store down)
    auto key = [&](const char* kind, std::string_view text) {
      std::string h = m.hash(text);
      hashed = hashed && !h.empty();
      keys.push_back(kind + h);
    };
    auto ids = mkeys::referenced_ids(s);
    for (const auto& id : ids) key("c:m:", id);
    if (!s.msg.mail_from.empty()) key("c:a:", s.msg.mail_from);
    if (keys.empty()) return;
    std::vector<std::optional<Record>> recs;
    if (!hashed || !m.read(keys, recs)) {
      result_ = {"correspondent", "temperror", "memory " + m.describe() + " did not answer in time", {}};
      return;
    }
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (recs[i]) {
        result_ = {"correspondent", "reply", "replies to " + quote_untrusted(ids[i], 80) + ", sent by one of our users", {}};
        return;
      }
    if (!s.msg.mail_from.empty() && recs.back())
      result_ = {"correspondent", "correspondent",
                 quote_untrusted(s.msg.mail_from, 80) + " was written to by our users (" +
                     std::to_string(static_cast<long>(recs.back()->count + 0.5)) + " messages)", {}};
  }

  std::vector<Finding> finish(Session&) override {
    if (result_.result.empty()) return {};
    return {result_};
  }

 private:
  Finding result_;
};

}  // namespace

CheckInfo correspondent_check_info() {
  return {
      "correspondent",
      "the sender is someone our authenticated users wrote to, or replies to their mail",
      {
          {"reply", 5.0, "answers a message our user sent: the strongest sign of a real conversation "
                         "(rescues the honest small server with a bad PTR)"},
          {"correspondent", 4.0, "our users wrote to this address: a known correspondent "
                                 "(rspamd's replies module gives -4 on a 15-point reject scale)"},
          {"temperror", 0.0, "the memory did not answer: never evidence"},
      },
      {},
      [](const Config&) { return std::make_unique<Correspondent>(); },
  };
}

}  // namespace legit
