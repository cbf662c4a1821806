// callbacks.cc — libmilter callbacks: translate milter events into Dialogue
// calls and an Outcome into milter actions. No check logic lives here.
//
// Per connection, smfi_setpriv holds a Conn (the Dialogue plus glue state).
// Every callback catches everything the engine throws and returns the
// `on-error` policy (SMFIS_ACCEPT or SMFIS_TEMPFAIL); a callback that finds
// no Conn (connect failed) returns the same policy. Macros are requested per
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
#include <string>
#include <type_traits>

#include <libmilter/mfapi.h>

#include "legit/log.h"
#include "sessions.h"

namespace legit::glue {
namespace {

const Engine* g_engine = nullptr;

// Counted in sessions::open for its whole life, and in sessions::in_flight
// while a message is open (begin_message .. end_message).
struct Conn {
  std::unique_ptr<Dialogue> dialogue;
  bool in_message = false;

  Conn() { sessions::open.fetch_add(1, std::memory_order_relaxed); }
  ~Conn() {
    end_message();
    sessions::open.fetch_sub(1, std::memory_order_relaxed);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void begin_message() {
    if (!in_message) sessions::in_flight.fetch_add(1, std::memory_order_relaxed);
    in_message = true;
  }
  void end_message() {
    if (in_message) sessions::in_flight.fetch_sub(1, std::memory_order_relaxed);
    in_message = false;
  }
};

Conn* conn_of(SMFICTX* ctx) { return static_cast<Conn*>(smfi_getpriv(ctx)); }

std::string macro(SMFICTX* ctx, const char* name) {
  const char* v = smfi_getsymval(ctx, const_cast<char*>(name));
  return v ? v : "";
}

sfsistat policy() {
  return g_engine && g_engine->config().on_error == OnError::tempfail ? SMFIS_TEMPFAIL
                                                                      : SMFIS_ACCEPT;
}

// Logs why a callback gives up and returns the on-error policy. noexcept.
sfsistat on_error(const char* stage, const char* why) noexcept {
  try {
    log_msg(LogLevel::error, std::string("milter ") + stage + ": " + why + "; on-error=" +
                                 (policy() == SMFIS_TEMPFAIL ? "tempfail" : "accept"));
  } catch (...) {
  }
  return policy();
}

// Runs fn(Conn&) with the connection's state, exceptions stopped here; a
// void fn means SMFIS_CONTINUE.
template <typename F>
sfsistat guarded(SMFICTX* ctx, const char* stage, F&& fn) noexcept {
  Conn* c = conn_of(ctx);
  if (!c || !c->dialogue) return on_error(stage, "no session for this connection");
  try {
    if constexpr (std::is_void_v<decltype(fn(*c))>) {
      fn(*c);
      return SMFIS_CONTINUE;
    } else {
      return fn(*c);
    }
  } catch (const std::exception& e) {
    return on_error(stage, e.what());
  } catch (...) {
    return on_error(stage, "unknown exception");
  }
}

std::string sockaddr_text(const _SOCK_ADDR* sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

void warn_if(bool failed, const std::string& what) {
  if (failed) log_msg(LogLevel::warning, "milter eom: " + what + " failed");
}

bool is_auth_results(const std::string& name) {
  constexpr std::string_view ar = "authentication-results";
  return name.size() == ar.size() &&
         std::equal(name.begin(), name.end(), ar.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// Printable ASCII only; '%' doubled for smfi_setreply (a format string there).
std::string clean(std::string_view text, bool double_percent) {
  std::string out;
  for (char ch : text.substr(0, 400)) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '%' && double_percent) out += "%%";
    else out += (u < 0x20 || u >= 0x7f) ? ' ' : ch;
  }
  return out;
}

// Deletes forged headers (in the engine's order: highest index first), then
// adds ours. Authentication-Results is a trace field (RFC 8601 §5: prepend,
// as opendkim does), so it is inserted at the top; the rest is appended.
void apply_headers(SMFICTX* ctx, Outcome& o) {
  for (auto& d : o.deletes)
    warn_if(smfi_chgheader(ctx, d.name.data(), d.index, nullptr) != MI_SUCCESS,
            "delete " + d.name + "[" + std::to_string(d.index) + "]");
  for (auto& [name, value] : o.adds)
    if (!is_auth_results(name))
      warn_if(smfi_addheader(ctx, name.data(), value.data()) != MI_SUCCESS, "add " + name);
  for (auto it = o.adds.rbegin(); it != o.adds.rend(); ++it)  // reversed: keeps their order
    if (is_auth_results(it->first))
      warn_if(smfi_insheader(ctx, 0, it->first.data(), it->second.data()) != MI_SUCCESS,
              "insert " + it->first);
}

sfsistat set_reply(SMFICTX* ctx, const Outcome& o, bool temp) {
  const char lead = temp ? '4' : '5';
  std::string code = o.reply_code.size() == 3 && o.reply_code[0] == lead ? o.reply_code
                                                                         : (temp ? "451" : "550");
  std::string xcode = o.reply_xcode.size() >= 5 && o.reply_xcode[0] == lead ? o.reply_xcode
                                                                          : (temp ? "4.7.1" : "5.7.1");
  std::string text = clean(o.reply_text.empty() ? (temp ? "try again later" : "rejected")
                                                : o.reply_text, true);
  warn_if(smfi_setreply(ctx, code.data(), xcode.data(), text.data()) != MI_SUCCESS,
          "setreply " + code + " " + xcode);
  return temp ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

sfsistat cb_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long /*f1*/, unsigned long,
                      unsigned long, unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                      unsigned long* pf3) {
  const unsigned long want = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
  *pf0 = (want | SMFIF_SETSYMLIST) & f0;
  *pf1 = 0;  // every step, each answered (DATA too: see xxfi_data)
  *pf2 = *pf3 = 0;
  if ((f0 & want) != want)
    log_msg(LogLevel::warning, "milter negotiate: MTA lacks add/change header or quarantine");
  if (f0 & SMFIF_SETSYMLIST) {
    const std::pair<int, const char*> lists[] = {
        {SMFIM_CONNECT, "{client_addr} {client_name} {client_ptr} j _"},
        {SMFIM_ENVFROM, "i {auth_authen} {auth_type} {mail_addr}"},
        {SMFIM_ENVRCPT, "{rcpt_addr}"},
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
  try {
    delete conn_of(ctx);  // never set here in practice; keeps a reused ctx clean
    smfi_setpriv(ctx, nullptr);
    std::string addr = macro(ctx, "{client_addr}");
    if (addr.empty()) addr = sockaddr_text(hostaddr);
    std::string name = macro(ctx, "{client_name}");
    if (name.empty() && hostname && hostname[0] != '[') name = hostname;  // "[ip]" = no name
    if (name.empty()) name = "unknown";
    auto c = std::make_unique<Conn>();
    c->dialogue = g_engine->open();
    c->dialogue->connect(name, addr);
    smfi_setpriv(ctx, c.release());
    return SMFIS_CONTINUE;
  } catch (const std::exception& e) {
    return on_error("connect", e.what());
  } catch (...) {
    return on_error("connect", "unknown exception");
  }
}

sfsistat cb_helo(SMFICTX* ctx, char* name) {
  return guarded(ctx, "helo", [&](Conn& c) { c.dialogue->helo(name ? name : ""); });
}

sfsistat cb_envfrom(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "mail", [&](Conn& c) {
    c.begin_message();
    c.dialogue->mail_from(argv && argv[0] ? argv[0] : "", macro(ctx, "{auth_authen}"));
  });
}

sfsistat cb_envrcpt(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "rcpt", [&](Conn& c) { c.dialogue->rcpt(argv && argv[0] ? argv[0] : ""); });
}

// Answered (not negotiated away): Postfix sends the DATA macros anyway and
// stalls ~40 ms on a packet nobody answers.
sfsistat cb_data(SMFICTX* ctx) {
  return guarded(ctx, "data", [](Conn&) {});
}

sfsistat cb_header(SMFICTX* ctx, char* name, char* value) {
  return guarded(ctx, "header",
                 [&](Conn& c) { c.dialogue->header(name ? name : "", value ? value : ""); });
}

sfsistat cb_eoh(SMFICTX* ctx) {
  return guarded(ctx, "eoh", [](Conn& c) { c.dialogue->end_of_headers(); });
}

sfsistat cb_body(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  std::string_view data(reinterpret_cast<const char*>(chunk), chunk ? len : 0);
  return guarded(ctx, "body", [&](Conn& c) { c.dialogue->body(data); });
}

sfsistat cb_eom(SMFICTX* ctx) {
  return guarded(ctx, "eom", [&](Conn& c) {
    c.end_message();
    Outcome o = c.dialogue->end_of_message(macro(ctx, "i"));
    if (!o.log_line.empty()) log_msg(LogLevel::info, o.log_line);
    switch (o.action) {
      case Action::reject:
        return set_reply(ctx, o, false);
      case Action::tempfail:
        return set_reply(ctx, o, true);
      case Action::quarantine:
      case Action::accept:
        break;
    }
    apply_headers(ctx, o);
    if (o.action == Action::quarantine) {  // Postfix: hold queue; the reason is not stored
      std::string why = clean(o.quarantine_reason.empty() ? "legit-milter" : o.quarantine_reason, false);
      warn_if(smfi_quarantine(ctx, why.data()) != MI_SUCCESS, "quarantine");
    }
    return SMFIS_ACCEPT;
  });
}

sfsistat cb_abort(SMFICTX* ctx) {
  return guarded(ctx, "abort", [](Conn& c) {
    c.end_message();
    c.dialogue->abort_message();
  });
}

// Logs the probe line of a connection that completed no message (engine).
// libmilter also closes connections that never got a Conn: nothing to log.
sfsistat cb_close(SMFICTX* ctx) {
  if (conn_of(ctx)) guarded(ctx, "close", [](Conn& c) {
      if (auto line = c.dialogue->close()) log_msg(LogLevel::info, *line);
    });
  delete conn_of(ctx);  // Dialogue destructors do not throw
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;  // nothing is answered at close
}

// Counted for the probe line. CONTINUE: Postfix answers the command itself
// ("502 5.5.2 Error: command not recognized"); a 4xx/5xx from here would
// replace that reply.
sfsistat cb_unknown(SMFICTX* ctx, const char* cmd) {
  return guarded(ctx, "unknown", [&](Conn& c) { c.dialogue->unknown_command(cmd ? cmd : ""); });
}

}  // namespace

bool register_milter(const Engine& engine) {
  g_engine = &engine;
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
