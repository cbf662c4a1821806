// eom_actions.cc — see eom_actions.h: an Outcome as libmilter requests.
#include "eom_actions.h"

#include <string>

#include "legit/log.h"

namespace legit::glue {
namespace {

void warn_if(bool failed, const std::string& what) {
  if (failed) log_msg(LogLevel::warning, "milter eom: " + what + " failed");
}

// Deletes forged headers (in the engine's order: highest index first), then
// inserts ours at the top: Authentication-Results is a trace field (RFC 8601
// §5: prepend, as opendkim does), and X-Legit-Score goes with it, so both
// sit above the message's own headers in the engine's order.
void apply_headers(SMFICTX* ctx, const Outcome& o) {
  for (const auto& d : o.deletes)
    warn_if(smfi_chgheader(ctx, const_cast<char*>(d.name.c_str()), d.index, nullptr) != MI_SUCCESS,
            "delete " + d.name + "[" + std::to_string(d.index) + "]");
  for (auto it = o.adds.rbegin(); it != o.adds.rend(); ++it)  // reversed: keeps their order
    warn_if(smfi_insheader(ctx, 0, const_cast<char*>(it->first.c_str()),
                           const_cast<char*>(it->second.c_str())) != MI_SUCCESS,
            "insert " + it->first);
}

sfsistat set_reply(SMFICTX* ctx, const Outcome& o, bool temp) {
  const char lead = temp ? '4' : '5';
  std::string code = o.reply_code.size() == 3 && o.reply_code[0] == lead ? o.reply_code
                                                                         : (temp ? "451" : "550");
  std::string xcode = o.reply_xcode.size() >= 5 && o.reply_xcode[0] == lead ? o.reply_xcode
                                                                          : (temp ? "4.7.1" : "5.7.1");
  std::string text = clean_reply_text(o.reply_text.empty() ? (temp ? "try again later" : "rejected")
                                                           : o.reply_text, true);
  warn_if(smfi_setreply(ctx, code.data(), xcode.data(), text.data()) != MI_SUCCESS,
          "setreply " + code + " " + xcode);
  return temp ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

}  // namespace

std::string clean_reply_text(std::string_view text, bool double_percent) {
  std::string out;
  for (char ch : text.substr(0, 400)) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '%' && double_percent) out += "%%";
    else out += (u < 0x20 || u >= 0x7f) ? ' ' : ch;
  }
  return out;
}

sfsistat apply_outcome(SMFICTX* ctx, const Outcome& o) {
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
    std::string why = clean_reply_text(o.quarantine_reason.empty() ? "legit-milter" : o.quarantine_reason, false);
    warn_if(smfi_quarantine(ctx, why.data()) != MI_SUCCESS, "quarantine");
  }
  return SMFIS_ACCEPT;
}

}  // namespace legit::glue
