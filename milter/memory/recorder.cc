// recorder.cc — sessions into the memory (recorder.h; keys in keys.h).
#include "recorder.h"

#include "../core/names.h"
#include "keys.h"
#include "legit/memory.h"

namespace legit {

static double history_half_life(const Config& cfg) { return cfg.num("history-half-life") * mkeys::kDay; }

static void record_correspondents(Session& s, std::vector<Update>& u) {
  Memory& m = *s.memory;
  std::string buf;
  for (const auto& rcpt : s.msg.rcpts) {
    std::string h = m.hash(mkeys::address(rcpt, buf));
    if (!h.empty()) u.push_back({"c:a:" + h, 1, 0, mkeys::kAddressTtl});
  }
  if (std::string id = mkeys::message_id(s); !id.empty())
    if (std::string h = m.hash(id); !h.empty()) u.push_back({"c:m:" + h, 1, 0, mkeys::kMessageIdTtl});
  if (!s.msg.mail_from.empty())
    if (std::string h = m.hash(mkeys::address(s.msg.mail_from, buf)); !h.empty()) u.push_back({"c:s:" + h, 1, 0, mkeys::kOurSenderTtl});
}

void record_outcome(Session& s, const Outcome& o) {
  if (!s.memory || !s.memory->writable()) return;
  std::vector<Update> u;
  if (o.kind == Outcome::Kind::authenticated) {
    record_correspondents(s, u);
  } else if (o.kind == Outcome::Kind::scored) {
    const char* what = nullptr;
    switch (o.verdict.action) {  // what the score said, dry-run or not
      case Action::accept: what = "ok"; break;
      case Action::quarantine: what = "q"; break;
      case Action::reject: what = "rej"; break;
      case Action::tempfail: break;
    }
    if (!what) return;
    double half = history_half_life(s.config);
    auto ttl = static_cast<std::int64_t>(6 * half);
    // (the network and the authenticated domains were worked out for the
    // history check's read: mkeys keeps them per message)
    if (s.conn.ip) u.push_back({mkeys::net(mkeys::network(s), what), 1, half, ttl});
    for (const auto& d : mkeys::authenticated(s)) u.push_back({mkeys::domain(d, what), 1, half, ttl});
  }
  s.memory->write(std::move(u));
}

void record_probe(Session& s) {
  if (!s.memory || !s.memory->writable() || !s.conn.ip) return;
  s.memory->write({{mkeys::net(mkeys::network_of(*s.conn.ip), "probe"), 1, mkeys::kProbeHalfLife, mkeys::kProbeTtl}});
}

}  // namespace legit
