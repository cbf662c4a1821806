// engine.cc — one SMTP connection through the checks (engine.h).
//
// Trusted clients are not looked at (no lookups, no header edits: their
// X-Legit-Score and A-R survive re-injection). Authenticated clients are not
// scored but lose forged headers and get auth=pass. Everyone else: every
// check's hooks in SMTP order, findings scored at end-of-data. A check that
// throws is reported as "<check>:error" and worth nothing.
#include "legit/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iterator>

#include "../checks/greylist.h"
#include "../memory/recorder.h"
#include "legit/headers.h"
#include "legit/us.h"
#include "names.h"

namespace legit {

Engine::Engine(const Config& cfg, Resolver& resolver) : cfg_(cfg), resolver_(resolver) {
  for (const auto& info : check_registry()) checks_.push_back(&info);
}

Engine::Engine(const Config& cfg, Resolver& resolver, std::vector<const CheckInfo*> checks)
    : cfg_(cfg), resolver_(resolver), checks_(std::move(checks)) {}

std::unique_ptr<Dialogue> Engine::open() const {
  return std::make_unique<Dialogue>(cfg_, resolver_, checks_, memory_);
}

Dialogue::Dialogue(const Config& cfg, Resolver& resolver, const std::vector<const CheckInfo*>& checks,
                   Memory* memory)
    : cfg_(cfg), session_(std::make_unique<Session>(cfg, resolver)) {
  session_->memory = memory;
  for (const auto* info : checks) checks_.emplace_back(info, info->make(cfg));
}

Dialogue::~Dialogue() = default;

bool Dialogue::scored() const {
  const auto& c = session_->conn;
  if (c.trusted) return false;
  return !(cfg_.skip_authenticated && !c.auth_user.empty());
}

void Dialogue::forward(const std::function<void(Check&)>& fn) {
  if (!scored()) return;
  for (auto& [info, check] : checks_) {
    try {
      fn(*check);
    } catch (...) {
      // Reported by finish() if it fails too; a hook must not stop the others.
    }
  }
}

void Dialogue::server(std::string_view my_name, std::string_view daemon_addr) {
  session_->conn.our_name = std::string(my_name.substr(0, 255));
  session_->conn.our_addr = std::string(daemon_addr.substr(0, 64));
}

void Dialogue::connect(std::string_view client_name, std::string_view client_addr) {
  auto& c = session_->conn;
  c.client_name = client_name.empty() ? "unknown" : std::string(client_name);
  c.addr_text = std::string(client_addr);
  c.ip = IpAddress::parse(client_addr);
  if (c.ip) {
    c.ip = c.ip->unmapped();
    c.addr_text = c.ip->to_string();  // Postfix sends "IPv6:..." for IPv6 clients
  }
  c.trusted = c.ip && in_networks(cfg_.trusted_networks, *c.ip);
  if (c.trusted) return;
  if (c.ip) session_->rdns.start(session_->resolver, *c.ip);
  forward([&](Check& k) { k.on_connect(*session_); });
}

void Dialogue::helo(std::string_view name) {
  session_->conn.helo = std::string(name);
  session_->conn.helo_seen = true;
  if (session_->conn.trusted) return;
  session_->rdns.advance();
  forward([&](Check& k) { k.on_helo(*session_); });
}

void Dialogue::mail_from(std::string_view addr, std::string_view auth_user) {
  if (addr.size() >= 2 && addr.front() == '<' && addr.back() == '>')
    addr = addr.substr(1, addr.size() - 2);
  session_->msg = Message{};
  session_->reads.reset();
  session_->msg.mail_from = std::string(addr);
  session_->conn.auth_user = std::string(auth_user);
  session_->messages++;
  forged_.clear();
  header_counts_.clear();
  if (session_->conn.trusted) return;
  session_->rdns.advance();
  forward([&](Check& k) { k.on_mail(*session_); });
}

void Dialogue::rcpt(std::string_view addr, std::string_view mailer, std::string_view host) {
  if (addr.size() >= 2 && addr.front() == '<' && addr.back() == '>')
    addr = addr.substr(1, addr.size() - 2);
  if (session_->msg.rcpts.size() < 1000) session_->msg.rcpts.emplace_back(addr);
  auto& routes = session_->msg.rcpt_routes;
  if (std::string d = rcpt_domain(addr); !mailer.empty() && !d.empty() && !routes.count(d) &&
                                         routes.size() < Session::kMaxRcptDomains)
    routes[d] = {std::string(mailer.substr(0, 64)), std::string(host.substr(0, 255))};
  forward([&](Check& k) { k.on_rcpt(*session_, addr); });
}

void Dialogue::header(std::string_view name, std::string_view value) {
  if (session_->conn.trusted) return;
  // Occurrences are counted only for the names a forged header can carry, so
  // a flood of distinct header names grows nothing here.
  if (iequals(name, kScoreHeader) || iequals(name, kArHeader)) {
    int index = ++header_counts_[lower(name)];
    if (is_forged(name, value, cfg_.authserv_id)) forged_.push_back({std::string(name), index});
  }
  auto& m = session_->msg;
  m.header_bytes += name.size() + value.size() + 3;
  if (m.headers.size() < Session::kMaxHeaders)
    m.headers.push_back({std::string(name), std::string(value)});
  if (iequals(name, "From") && ++m.from_count == 1) m.first_from = value;
  forward([&](Check& k) { k.on_header(*session_, name, value); });
}

void Dialogue::no_message() { session_->msg.absent = true; }

void Dialogue::end_of_headers() {
  forward([&](Check& k) { k.on_eoh(*session_); });
  // The memory reads the checks gathered, sent in one batch now and answered
  // while the body comes (their finish() takes the answers at end-of-data).
  if (session_->memory && scored()) session_->reads.start(*session_->memory);
}

void Dialogue::body(std::string_view chunk) {
  session_->msg.body_bytes += chunk.size();
  forward([&](Check& k) { k.on_body(*session_, chunk); });
}

bool Dialogue::wants_body() const {
  if (!scored()) return false;
  for (const auto& [info, check] : checks_) {
    try {
      if (check->wants_body(*session_)) return true;
    } catch (...) {
      return true;  // when in doubt, keep the body coming
    }
  }
  return false;
}

void Dialogue::abort_message() {
  forged_.clear();
  header_counts_.clear();
}

static std::string reply_with_score(const std::string& text, double score) {
  std::string out = text;
  auto pos = out.find("%s");
  if (pos != std::string::npos) out.replace(pos, 2, format_points(score));
  return out;
}

// A message the open-relay guard rejects is told so, as Postfix's own
// reject_unauth_destination would ("Relay access denied"), naming the cause,
// not the generic score text: the sender did not fail legitimacy checks, the
// recipient is not ours.
static std::string relay_reply(const Verdict& v) {
  for (const auto& it : v.items)
    if (it.finding.check == "relay" && it.finding.result == "open-relay")
      return "Relay access denied: " + it.finding.detail.substr(0, 300);
  return "Relay access denied";
}

// Refuses an accepted or quarantined outcome that would need more than
// kMaxForgedDeletes deletions (engine.h): 550 5.7.1, or 451 4.7.1 in dry-run
// (dry-run never rejects); no deletions, no headers added.
static void refuse_forged_flood(Outcome& o, Mode mode) {
  if (o.deletes.size() <= kMaxForgedDeletes) return;
  if (o.action != Action::accept && o.action != Action::quarantine) return;
  const bool dry = mode == Mode::dry_run;
  o.forged_refused = o.deletes.size();
  o.action = dry ? Action::tempfail : Action::reject;
  o.reply_code = dry ? "451" : "550";
  o.reply_xcode = dry ? "4.7.1" : "5.7.1";
  o.reply_text = "Message carries " + std::to_string(o.forged_refused) +
                 " forged X-Legit-Score or Authentication-Results fields";
  o.deletes.clear();
  o.adds.clear();
}

Outcome Dialogue::end_of_message(std::string_view queue_id) {
  const auto started = std::chrono::steady_clock::now();
  session_->msg.queue_id = std::string(queue_id);
  ++completed_;
  Outcome o;
  const auto& c = session_->conn;
  if (c.trusted) {
    o.kind = Outcome::Kind::trusted;
    o.log_line = format_log_line(*session_, o);
    return o;
  }
  // Forged copies go in every untrusted case, highest index first per name.
  o.deletes = forged_;
  std::sort(o.deletes.begin(), o.deletes.end(), [](const auto& a, const auto& b) {
    std::string an = lower(a.name), bn = lower(b.name);
    return an != bn ? an < bn : a.index > b.index;
  });
  if (!scored()) {
    o.kind = Outcome::Kind::authenticated;
    ArEntry auth{"auth", "pass", "", {{"smtp.auth", c.auth_user}}};
    o.adds.emplace_back(kArHeader, format_ar_header(cfg_.authserv_id, {auth}));
    refuse_forged_flood(o, cfg_.mode);
    o.log_line = format_log_line(*session_, o);
    record_outcome(*session_, o);  // correspondents of our users (memory/recorder.cc)
    return o;
  }
  std::vector<Finding> findings;
  for (auto& [info, check] : checks_) {
    try {
      auto f = check->finish(*session_);
      findings.insert(findings.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
    } catch (const std::exception& e) {
      findings.push_back({info->name, "error", quote_untrusted(e.what()), {}});
    } catch (...) {
      findings.push_back({info->name, "error", "unknown exception", {}});
    }
  }
  o.verdict = score_findings(findings, cfg_);
  std::string greylisted = apply_greylist(*session_, o.verdict);  // checks/greylist.cc
  bool dry = cfg_.mode == Mode::dry_run;
  o.action = dry ? Action::accept : o.verdict.action;
  std::vector<ArEntry> ar;
  for (auto& f : findings)  // not read again: moved
    ar.insert(ar.end(), std::make_move_iterator(f.ar.begin()), std::make_move_iterator(f.ar.end()));
  o.adds.emplace_back(kScoreHeader, format_score_header(o.verdict, dry));
  o.adds.emplace_back(kArHeader, format_ar_header(cfg_.authserv_id, ar));
  if (o.action == Action::reject) {
    o.reply_code = "550";
    o.reply_xcode = "5.7.1";
    o.reply_text = o.verdict.floor_by == "relay:open-relay" ? relay_reply(o.verdict)
                                                            : reply_with_score(cfg_.reject_reply, o.verdict.score);
  } else if (o.action == Action::tempfail) {
    o.reply_code = "451";
    o.reply_xcode = "4.7.1";
    o.reply_text = greylisted.empty() ? "Temporary failure while checking the sender, try again later"
                                      : greylisted;
  } else if (o.action == Action::quarantine) {
    o.quarantine_reason = o.verdict.floor_by.empty()
                              ? "legit-milter score " + format_points(o.verdict.score) +
                                    " below quarantine-below " + format_points(cfg_.quarantine_below)
                              : "legit-milter " + o.verdict.floor_by + " (score " +
                                    format_points(o.verdict.score) + ")";
  }
  o.dns_lookups = session_->dns_lookups() - dns_mark_;
  dns_mark_ = session_->dns_lookups();
  refuse_forged_flood(o, cfg_.mode);
  o.eom_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  o.log_line = format_log_line(*session_, o);
  record_outcome(*session_, o);  // history, fire-and-forget (memory/recorder.cc)
  return o;
}

std::string format_client(const Session& s) {
  const auto& c = s.conn;
  return "client=" + quote_untrusted(c.client_name) + "[" + quote_untrusted(c.addr_text, 64) + "]" +
         " helo=<" + quote_untrusted(c.helo) + ">";
}

// A check name or result word as a log token: only [A-Za-z0-9.+_-] survive
// (anything else becomes '?'), so a list item never carries ' ', ',' or ':'.
static std::string log_word(std::string_view w) {
  std::string out;
  for (char ch : w.substr(0, 32)) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '+' || ch == '_' || ch == '-';
    out += ok ? ch : '?';
  }
  return out;
}

std::string format_log_line(const Session& s, const Outcome& o) {
  const auto& c = s.conn;
  std::string line = s.msg.queue_id.empty() ? "NOQUEUE" : quote_untrusted(s.msg.queue_id, 32);
  line += ": " + format_client(s);
  line += " from=<" + quote_untrusted(s.msg.mail_from) + ">";
  std::string forged = o.forged_refused ? " forged-refused=" + std::to_string(o.forged_refused)
                       : o.deletes.empty() ? ""
                                           : " forged-removed=" + std::to_string(o.deletes.size());
  if (o.kind == Outcome::Kind::trusted) return line + " action=accept reason=trusted";
  if (o.kind == Outcome::Kind::authenticated)
    return line + " action=" + to_string(o.action) + " reason=authenticated auth=<" +
           quote_untrusted(c.auth_user, 64) + ">" + forged;
  line += " score=" + format_points(o.verdict.score);
  line += std::string(" action=") + to_string(o.action);
  if (o.action != o.verdict.action && !o.forged_refused)
    line += std::string(" dry-run=") + to_string(o.verdict.action);
  line += forged + " checks=";
  const char* sep = "";
  std::string greylist;  // its own field: greylist=new-triplet(retry-after-300s)
  for (const auto& item : o.verdict.items) {
    if (item.finding.check == "greylist") {
      greylist = " greylist=" + log_word(item.finding.result) + "(" + log_word(item.finding.detail) + ")";
      continue;
    }
    line += sep + log_word(item.finding.check) + ":" + log_word(item.finding.result) + "(" +
            format_points(item.points) + ")";
    sep = ",";
  }
  line += greylist;
  // How far the score is from the nearest threshold (negative: below it, so
  // that threshold's action applies; 0: equal, the milder action applies).
  line += " margin=" + std::string(o.verdict.margin > 0 ? "+" : "") + format_points(o.verdict.margin) + "(" +
          o.verdict.nearest + ")";
  if (auto colon = o.verdict.floor_by.find(':'); colon != std::string::npos)
    line += " floor=" + log_word(o.verdict.floor_by.substr(0, colon)) + ":" +
            log_word(o.verdict.floor_by.substr(colon + 1));
  char cost[64];  // last: test_metrics.sh and log_parse.cc read them at the end
  std::snprintf(cost, sizeof cost, " eom-ms=%.1f dns-lookups=%d", o.eom_seconds * 1000, o.dns_lookups);
  return line + cost;
}

}  // namespace legit
