// callbacks.cc — libmilter callbacks: translate milter events into Dialogue
// calls and an Outcome into milter actions. No check logic lives here.
//
// Per connection, smfi_setpriv holds a Conn (conn.h: the Dialogue plus glue
// state, and the configuration snapshot taken at connect: runtime.h — a
// reload never changes the config of a connection in flight) from negotiate
// to close. While a stop drains (sessions::draining), a new connection is
// refused like one over the session cap: on-error at once. Every callback catches everything the
// engine throws and returns the `on-error` policy (SMFIS_ACCEPT or
// SMFIS_TEMPFAIL); a callback that finds no Dialogue (connect failed, or
// refused by the session cap) returns the same policy. Steps negotiated as
// no-reply (every one before end-of-data that the MTA allows) return
// SMFIS_NOREPLY; a failure there is answered at the next answered step. Macros are requested per
// stage in negotiate with smfi_setsymlist, so Postfix needs no
// milter_*_macros settings; without SETSYMLIST support the connect hostname
// and address arguments are the fallback.
#include "callbacks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <libmilter/mfapi.h>

#include "conn.h"
#include "eom_actions.h"
#include "insight/metrics.h"
#include "legit/headers.h"
#include "legit/log.h"
#include "macros.h"
#include "quickack.h"
#include "reaper.h"
#include "runtime.h"
#include "sessions.h"
#include "throttle.h"

namespace legit::glue {
namespace {

Conn* conn_of(SMFICTX* ctx) { return static_cast<Conn*>(smfi_getpriv(ctx)); }

// Macros are read by macros.cc, never with smfi_getsymval (see macros.h).
std::string macro(SMFICTX* ctx, const char* name) { return macro_value(ctx, name); }

// The config of this connection (taken at connect), else the current one.
std::shared_ptr<const Snapshot> snapshot_of(SMFICTX* ctx) {
  Conn* c = ctx ? conn_of(ctx) : nullptr;
  return c && c->snap ? c->snap : current_snapshot();
}

sfsistat policy(SMFICTX* ctx = nullptr) {
  auto snap = snapshot_of(ctx);
  return snap && snap->config.on_error == OnError::tempfail ? SMFIS_TEMPFAIL : SMFIS_ACCEPT;
}

const char* policy_word() { return policy() == SMFIS_TEMPFAIL ? "tempfail" : "accept"; }

// Logs why a callback gives up and returns the on-error policy. noexcept.
sfsistat on_error(const char* stage, const char* why) noexcept {
  try {
    insight::count_error(stage);
    log_msg(LogLevel::error, std::string("milter ") + stage + ": " + why + "; on-error=" + policy_word());
  } catch (...) {
  }
  return policy();
}

// The answer of a step whose no-reply bit is `nr`: SMFIS_NOREPLY when that
// step was negotiated as no-reply; a failure there (anything but CONTINUE)
// is kept and becomes the answer of the next step that is answered. The
// first no-reply step after a reply ACKs the MTA's packet at once and leaves
// delayed-ACK mode until our next reply (quickack.h: no Nagle stall).
sfsistat answer(Conn& c, unsigned long nr, sfsistat r) {
  if (!(c.no_reply & nr)) {
    c.acked = false;  // this reply puts the socket back in delayed-ACK mode
    return r;
  }
  if (r != SMFIS_CONTINUE) c.failed = true;
  if (!c.acked) {
    if (!ack_now(c.ack_fd)) c.ack_fd = -1;
    c.acked = true;
  }
  return SMFIS_NOREPLY;
}

// Runs fn(Conn&) with the connection's state, exceptions stopped here; a
// void fn means SMFIS_CONTINUE. `nr`: the step's SMFIP_NR_* bit (0 = always
// answered). A refused connection, or one whose earlier no-reply step
// failed, gets the on-error policy without calling the engine.
template <typename F>
sfsistat guarded(SMFICTX* ctx, const char* stage, unsigned long nr, F&& fn) noexcept {
  Conn* c = conn_of(ctx);
  if (!c) return on_error(stage, "no session for this connection");
  reaper::Busy busy(c->watch.get());
  if (c->refused) return answer(*c, nr, policy());  // logged at admission
  if (c->failed) {  // logged when it failed; answered now, then forgotten
    if (!(c->no_reply & nr)) c->failed = false;
    return answer(*c, nr, policy());
  }
  if (!c->dialogue) return answer(*c, nr, on_error(stage, "no session for this connection"));
  sfsistat r;
  try {
    if constexpr (std::is_void_v<decltype(fn(*c))>) {
      fn(*c);
      r = SMFIS_CONTINUE;
    } else {
      r = fn(*c);
    }
  } catch (const std::exception& e) {
    r = on_error(stage, e.what());
  } catch (...) {
    r = on_error(stage, "unknown exception");
  }
  return answer(*c, nr, r);
}

std::string sockaddr_text(const _SOCK_ADDR* sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

// Steps legit-milter never needs to answer: it decides at end-of-data.
constexpr unsigned long kNoReplySteps = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL |
                                        SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN |
                                        SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY;

int session_cap() {
  auto snap = current_snapshot();
  return snap ? static_cast<int>(snap->config.num("max-sessions")) : 0;
}

// Admission: the session cap, and no new connection while a stop drains.
bool admit(Conn& c) {
  if (!sessions::draining) return c.admit(session_cap(), policy_word());
  c.refused = true;  // logged once by control.cc
  return false;
}

// Hands the Conn to libmilter (smfi_setpriv), then lets the idle reaper
// watch its socket (read through the checked context: needs the priv set).
Conn* attach(SMFICTX* ctx, std::unique_ptr<Conn> c) {
  Conn* raw = c.release();
  smfi_setpriv(ctx, raw);
  raw->watch = reaper::watch(session_socket(ctx));
  return raw;
}

// Also decides admission (the session cap): a connection over the cap keeps
// its connect step answered, so the refusal goes out at once.
// No-reply steps: libmilter offers every SMFIP_NR_* bit in f1 (it fakes a
// CONTINUE for those the MTA lacks), so asking for them is always safe.
// SMFIP_SKIP is real: only when the MTA offers it. Then body chunks stay
// answered (a no-reply chunk cannot say SKIP): the first one of a message
// that needs no body answers SKIP and the MTA sends no more of it.
sfsistat cb_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long,
                      unsigned long, unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                      unsigned long* pf3) {
  const unsigned long want = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
  *pf0 = (want | SMFIF_SETSYMLIST) & f0;
  *pf1 = 0;  // until we know better: every step sent and answered
  *pf2 = *pf3 = 0;
  try {
    delete conn_of(ctx);
    smfi_setpriv(ctx, nullptr);
    auto c = std::make_unique<Conn>();
    bool admitted = admit(*c);
    c->skip = (f1 & SMFIP_SKIP) != 0;
    unsigned long nr = f1 & kNoReplySteps;
    if (c->skip) nr &= ~SMFIP_NR_BODY;
    if (!admitted) nr &= ~SMFIP_NR_CONN;
    c->no_reply = nr;
    *pf1 = nr | (c->skip ? SMFIP_SKIP : 0);
    Conn* kept = attach(ctx, std::move(c));
    if (nr) kept->ack_fd = quickack_socket(ctx);
  } catch (...) {
    *pf1 = 0;  // no Conn: every later step answers the on-error policy
  }
  if ((f0 & want) != want)
    log_msg(LogLevel::warning, "milter negotiate: MTA lacks add/change header or quarantine");
  if (f0 & SMFIF_SETSYMLIST) {
    const std::pair<int, const char*> lists[] = {
        {SMFIM_CONNECT, "{client_addr} {client_name} {client_ptr} {daemon_addr} j _"},
        {SMFIM_ENVFROM, "i {auth_authen} {auth_type} {mail_addr}"},
        {SMFIM_ENVRCPT, "{rcpt_addr} {rcpt_mailer} {rcpt_host}"},
        {SMFIM_DATA, "i"},
        {SMFIM_EOH, "i"},
        {SMFIM_EOM, "i"}};
    for (const auto& [stage, names] : lists) {
      std::string copy = names;
      if (smfi_setsymlist(ctx, stage, copy.data()) != MI_SUCCESS)
        log_msg(LogLevel::warning, std::string("milter negotiate: setsymlist failed for ") + names);
    }
  }
  return SMFIS_CONTINUE;
}

sfsistat cb_connect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* hostaddr) {
  Conn* c = conn_of(ctx);
  try {
    if (!c) {  // after SMFIC_QUIT_NC (same socket, no new negotiation): no_reply unknown
      auto fresh = std::make_unique<Conn>();
      admit(*fresh);
      c = attach(ctx, std::move(fresh));
    }
    reaper::Busy busy(c->watch.get());
    if (c->refused) return answer(*c, SMFIP_NR_CONN, policy());
    c->failed = false;
    c->end_message();
    std::string addr = macro(ctx, "{client_addr}");
    if (addr.empty()) addr = sockaddr_text(hostaddr);
    std::string name = macro(ctx, "{client_name}");
    if (name.empty() && hostname && hostname[0] != '[') name = hostname;  // "[ip]" = no name
    if (name.empty()) name = "unknown";
    c->snap = current_snapshot();
    if (!c->snap) throw std::runtime_error("no configuration");
    c->dialogue = c->snap->engine->open();
    c->dialogue->server(macro(ctx, "j"), macro(ctx, "{daemon_addr}"));  // "us" (legit/us.h)
    c->dialogue->connect(name, addr);
    return answer(*c, SMFIP_NR_CONN, SMFIS_CONTINUE);
  } catch (const std::exception& e) {
    if (c) c->dialogue.reset();
    sfsistat r = on_error("connect", e.what());
    return c ? answer(*c, SMFIP_NR_CONN, r) : r;
  } catch (...) {
    if (c) c->dialogue.reset();
    sfsistat r = on_error("connect", "unknown exception");
    return c ? answer(*c, SMFIP_NR_CONN, r) : r;
  }
}

sfsistat cb_helo(SMFICTX* ctx, char* name) {
  return guarded(ctx, "helo", SMFIP_NR_HELO, [&](Conn& c) { c.dialogue->helo(name ? name : ""); });
}

sfsistat cb_envfrom(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "mail", SMFIP_NR_MAIL, [&](Conn& c) {
    c.begin_message();
    c.dialogue->mail_from(argv && argv[0] ? argv[0] : "", macro(ctx, "{auth_authen}"));
  });
}

sfsistat cb_envrcpt(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "rcpt", SMFIP_NR_RCPT,
                 [&](Conn& c) {
                   c.dialogue->rcpt(argv && argv[0] ? argv[0] : "", macro(ctx, "{rcpt_mailer}"),
                                    macro(ctx, "{rcpt_host}"));  // relay.cc
                 });
}

// Never negotiated away (SMFIP_NODATA): Postfix sends the DATA macros anyway
// and stalls ~40 ms on a packet nobody answers. A no-reply DATA step is fine.
sfsistat cb_data(SMFICTX* ctx) {
  return guarded(ctx, "data", SMFIP_NR_DATA, [](Conn&) {});
}

sfsistat cb_header(SMFICTX* ctx, char* name, char* value) {
  return guarded(ctx, "header", SMFIP_NR_HDR,
                 [&](Conn& c) { c.dialogue->header(name ? name : "", value ? value : ""); });
}

sfsistat cb_eoh(SMFICTX* ctx) {
  return guarded(ctx, "eoh", SMFIP_NR_EOH, [](Conn& c) { c.dialogue->end_of_headers(); });
}

// SKIP once no check needs more body (unsigned message, DKIM l= reached,
// dkim-max-body-bytes passed): results are the same, the MTA sends less.
sfsistat cb_body(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  std::string_view data(reinterpret_cast<const char*>(chunk), chunk ? len : 0);
  return guarded(ctx, "body", SMFIP_NR_BODY, [&](Conn& c) {
    c.dialogue->body(data);
    return c.skip && !c.dialogue->wants_body() ? SMFIS_SKIP : SMFIS_CONTINUE;
  });
}

sfsistat eom(SMFICTX* ctx) {
  return guarded(ctx, "eom", 0, [&](Conn& c) {
    Outcome o = c.dialogue->end_of_message(macro(ctx, "i"));
    const Config& cfg = c.dialogue->session().config;
    if (!o.log_line.empty()) log_msg(LogLevel::info, o.log_line);
    if (o.forged_refused)
      log_msg(LogLevel::warning, quote_untrusted(macro(ctx, "i"), 32) + ": milter eom: " +
                                     std::to_string(o.forged_refused) + " forged header fields (more than " +
                                     std::to_string(kMaxForgedDeletes) + "): refused with " + o.reply_code +
                                     " " + o.reply_xcode +
                                     " instead of asking the MTA to delete them all (action=" +
                                     to_string(o.action) + ")");
    insight::count_message(o, cfg.mode);
    return apply_outcome(ctx, o);  // eom_actions.cc
  });
}

// The message stays in flight (sessions::in_flight) until its verdict is
// applied: a drain on SIGTERM waits for it.
sfsistat cb_eom(SMFICTX* ctx) {
  sfsistat r = eom(ctx);
  if (Conn* c = conn_of(ctx)) c->end_message();
  return r;
}

// Never answered (libmilter sends nothing after an abort).
sfsistat cb_abort(SMFICTX* ctx) {
  Conn* c = conn_of(ctx);
  if (!c) return SMFIS_CONTINUE;
  c->end_message();
  c->failed = false;  // a failure of the aborted message dies with it
  if (c->dialogue) guarded(ctx, "abort", 0, [](Conn& k) { k.dialogue->abort_message(); });
  return SMFIS_CONTINUE;
}

// Logs the probe line of a connection that completed no message (engine),
// and counts a connection libmilter itself closed for being idle longer than
// idle-timeout (those the reaper cut are counted there). Connections without a Dialogue (refused) log nothing.
sfsistat cb_close(SMFICTX* ctx) {
  Conn* c = conn_of(ctx);
  if (!c) return SMFIS_CONTINUE;
  try {
    double limit = snapshot_of(ctx)->config.num("idle-timeout");
    if (c->watch && !c->watch->cut && reaper::idle_seconds(*c->watch) >= limit)
      reaper::count_idle_close(static_cast<long>(limit));
    if (c->dialogue)
      if (auto line = c->dialogue->close()) {
        log_msg(LogLevel::info, *line);
        insight::count_probe(*line);
      }
  } catch (const std::exception& e) {
    on_error("close", e.what());
  } catch (...) {
    on_error("close", "unknown exception");
  }
  delete c;  // Dialogue destructors do not throw
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;  // nothing is answered at close
}

// Counted for the probe line. CONTINUE: Postfix answers the command itself
// ("502 5.5.2 Error: command not recognized"); a 4xx/5xx from here would
// replace that reply. The text is read within libmilter's buffer only: the
// payload has no NUL when the client left it out (macros.h).
sfsistat cb_unknown(SMFICTX* ctx, const char* cmd) {
  return guarded(ctx, "unknown", SMFIP_NR_UNKN,
                 [&](Conn& c) { c.dialogue->unknown_command(unknown_command_text(cmd)); });
}

}  // namespace

bool register_milter() {
  insight::watch_sessions(&sessions::open, &sessions::in_flight, &sessions::refused);
  static char name[] = "legit-milter";
  smfiDesc desc{};
  desc.xxfi_name = name;
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
  desc.xxfi_connect = cb_connect;
  desc.xxfi_helo = cb_helo;
  desc.xxfi_envfrom = cb_envfrom;
  desc.xxfi_envrcpt = cb_envrcpt;
  desc.xxfi_header = cb_header;
  desc.xxfi_eoh = cb_eoh;
  desc.xxfi_body = cb_body;
  desc.xxfi_eom = cb_eom;
  desc.xxfi_abort = cb_abort;
  desc.xxfi_close = cb_close;
  desc.xxfi_unknown = cb_unknown;
  desc.xxfi_data = cb_data;
  desc.xxfi_negotiate = cb_negotiate;
  return smfi_register(desc) == MI_SUCCESS;
}

}  // namespace legit::glue
