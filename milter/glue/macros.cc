// macros.cc — see macros.h: milter macros and the unknown-command text read
// without trusting what libmilter stored.
#include "macros.h"

#include <malloc.h>

#include <atomic>
#include <cstring>
#include <ctime>

#include "legit/log.h"
#include "throttle.h"

namespace legit::glue {
namespace {

// The head of libmilter's private struct smfi_str (libmilter.h, unchanged
// from sendmail 8.14 to 8.18), up to ctx_privdata; what follows it differs
// between builds and is never read. MAX_MACROS_ENTRIES is 7 there (connect,
// helo, mail, rcpt, data, end-of-message, end-of-headers).
constexpr int kStages = 7;
struct PrivateCtxHead {
  pthread_t ctx_id;
  int ctx_sd;
  int ctx_dbg;
  time_t ctx_timeout;
  int ctx_state;
  void* ctx_smfi;
  int ctx_prot_vers;
  unsigned long ctx_aflags;
  unsigned long ctx_pflags;
  unsigned long ctx_pflags2mta;
  int ctx_prot_vers2mta;
  char** ctx_mac_ptr[kStages];  // per stage: name, value, ..., NULL
  char* ctx_mac_buf[kStages];   // per stage: the packet (stage letter, strings)
  char* ctx_mac_list[kStages];
  char* ctx_reply;
  void* ctx_privdata;
};

std::atomic<long> g_timeout{-1};
Throttle g_layout_warning, g_odd_warning;

const PrivateCtxHead* checked_head(SMFICTX* ctx) {
  if (!ctx) return nullptr;
  void* priv = smfi_getpriv(ctx);
  const auto* head = reinterpret_cast<const PrivateCtxHead*>(ctx);
  if (priv && head->ctx_privdata == priv && head->ctx_timeout == g_timeout.load()) return head;
  if (g_layout_warning.due())
    log_msg(LogLevel::warning,
            "milter: libmilter's context is not laid out as expected: macros are not read "
            "(no queue ids, no {auth_authen}); this libmilter build is not supported");
  return nullptr;
}

bool same_name(const char* have, std::string_view want) {
  std::string_view h(have);
  if (h == want) return true;
  // smfi_getsymval's aliases: "x" matches "{x}" and the other way round.
  if (want.size() == 1) return h.size() == 3 && h[0] == '{' && h[2] == '}' && h[1] == want[0];
  if (want.size() == 3 && want[0] == '{' && want[2] == '}') return h.size() == 1 && h[0] == want[1];
  return false;
}

}  // namespace

void macros_expect_timeout(long seconds) { g_timeout.store(seconds); }

std::string macro_value(SMFICTX* ctx, std::string_view name) {
  const PrivateCtxHead* head = checked_head(ctx);
  if (!head) return "";
  for (int stage = kStages - 1; stage >= 0; --stage) {  // most recent first, as libmilter
    char** v = head->ctx_mac_ptr[stage];
    const char* buf = head->ctx_mac_buf[stage];
    if (!v || !buf) continue;
    if (v[0] != buf + 1) return "";  // not the array of that packet: layout is off
    std::size_t n = 0;
    while (v[n]) ++n;  // the array ends at its NULL, which libmilter always writes
    if (n % 2) {
      if (g_odd_warning.due())
        log_msg(LogLevel::warning, "milter: macro packet with an odd number of strings (" +
                                       std::to_string(n) + ") ignored: not from Postfix");
      continue;
    }
    for (std::size_t i = 0; i < n; i += 2)
      if (same_name(v[i], name)) return v[i + 1];
  }
  return "";
}

int session_socket(SMFICTX* ctx) {
  const PrivateCtxHead* head = checked_head(ctx);
  return head ? head->ctx_sd : -1;
}

std::string unknown_command_text(const char* cmd) {
  if (!cmd) return "";
  // libmilter hands over the start of the packet buffer it malloc()ed
  // (comm.c mi_rd_cmd -> engine.c st_unknown) without its length: the
  // allocation's usable size bounds what may be read. Under ASan it is the
  // exact payload length; with glibc it may add a few bytes of slack, so a
  // client that leaves the NUL out can get at most those bytes (≤ 15) into
  // the probe line, which quotes and truncates it anyway.
  std::size_t bound = malloc_usable_size(const_cast<char*>(cmd));
  const void* nul = std::memchr(cmd, '\0', bound);
  if (!nul) return "";
  return std::string(cmd, static_cast<const char*>(nul) - cmd);
}

}  // namespace legit::glue
