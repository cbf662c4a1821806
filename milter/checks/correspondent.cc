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
// Only keyed hashes are looked up, in the message's one read batch (keys
// added at end of headers, answered at end-of-data).
#include "../memory/keys.h"
#include "legit/check.h"
#include "legit/headers.h"
#include "legit/memory.h"

namespace legit {
namespace {

class Correspondent : public Check {
 public:
  void on_mail(Session&) override {
    ids_.clear();
    first_ = kNone;
    hashed_ = true;
  }

  // The hashes of the referenced Message-IDs and of the envelope sender join
  // the message's read batch (Session::reads), answered at end-of-data.
  void on_eoh(Session& s) override {
    if (!s.memory) return;
    Memory& m = *s.memory;
    char h[16];
    auto key = [&](std::string_view kind, std::string_view text) {
      bool ok = m.hash(text, h);
      hashed_ = hashed_ && ok;  // false: the site secret is not available (store down)
      std::size_t at = s.reads.add(kind, ok ? std::string_view(h, sizeof h) : std::string_view());
      if (first_ == kNone) first_ = at;
    };
    ids_ = mkeys::referenced_ids(s);
    for (const auto& id : ids_) key(mkeys::kMessageId, id);
    std::string buf;
    if (!s.msg.mail_from.empty()) key(mkeys::kAddress, mkeys::address(s.msg.mail_from, buf));
  }

  std::vector<Finding> finish(Session& s) override {
    if (!s.memory || first_ == kNone) return {};
    Memory& m = *s.memory;
    const auto* recs = hashed_ ? s.reads.answers(m) : nullptr;
    if (!recs) return {{"correspondent", "temperror", "memory " + m.describe() + " did not answer in time", {}}};
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if ((*recs)[first_ + i])
        return {{"correspondent", "reply",
                 "replies to " + quote_untrusted(ids_[i], 80) + ", sent by one of our users", {}}};
    if (s.msg.mail_from.empty()) return {};
    if (const auto& r = (*recs)[first_ + ids_.size()])
      return {{"correspondent", "correspondent",
               quote_untrusted(s.msg.mail_from, 80) + " was written to by our users (" +
                   std::to_string(static_cast<long>(r->count + 0.5)) + " messages)", {}}};
    return {};
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::vector<std::string> ids_;
  std::size_t first_ = kNone;  // index of the first key in s.reads
  bool hashed_ = true;
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
