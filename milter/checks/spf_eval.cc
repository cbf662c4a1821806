// spf_eval.cc — check_host() with libspf2 and the mapping of its response to
// RFC 8601 words (spf_eval.h). RFC 7208 §2.6 (results), §4 (check_host),
// §4.6.4 (limits, enforced from the DNS layer's counters).
//
// Mapping: libspf2 pass/fail/softfail/neutral/none/temperror/permerror keep
// their names; "(invalid)" — what libspf2 returns when it gave up without a
// result — is temperror when a lookup failed temporarily, else permerror; an
// exceeded RFC 7208 limit is permerror whatever libspf2 decided after it.
#include "spf_eval.h"

extern "C" {
#include <arpa/inet.h>
}

#include <mutex>
#include <utility>

#include "legit/headers.h"
#include "legit/ip.h"
#include "legit/log.h"
#include "spf_dns.h"
#include "spf_pool.h"

namespace legit::spf {
namespace {

// GNU spelling: clang only converts it to libspf2's noreturn handler type.
__attribute__((noreturn)) void spf_fatal(const char* file, int line, const char* msg) {
  log_msg(LogLevel::error, std::string("libspf2 fatal error at ") + (file ? file : "?") + ":" +
                               std::to_string(line) + ": " + quote_untrusted(msg ? msg : "", 200));
  std::abort();
}
void spf_quiet(const char*, int, const char*) {}

// libspf2's log handlers are process globals: set them once, before use.
void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    SPF_error_handler = spf_fatal;
    SPF_warning_handler = spf_quiet;
    SPF_info_handler = spf_quiet;
    SPF_debug_handler = spf_quiet;
  });
}

const char* word(SPF_result_t r) {
  switch (r) {
    case SPF_RESULT_PASS: return "pass";
    case SPF_RESULT_FAIL: return "fail";
    case SPF_RESULT_SOFTFAIL: return "softfail";
    case SPF_RESULT_NEUTRAL: return "neutral";
    case SPF_RESULT_NONE: return "none";
    case SPF_RESULT_TEMPERROR: return "temperror";
    case SPF_RESULT_PERMERROR: return "permerror";
    case SPF_RESULT_INVALID: break;
  }
  return "";
}

// The first error message libspf2 recorded, "" if none.
std::string first_error(SPF_response_t* resp) {
  for (int i = 0; i < SPF_response_messages(resp); ++i) {
    SPF_error_t* e = SPF_response_message(resp, i);
    if (e != nullptr && SPF_error_errorp(e) && SPF_error_message(e) != nullptr)
      return SPF_error_message(e);
  }
  return "";
}

std::string text_or(const char* s, const std::string& fallback) {
  return s != nullptr && *s != '\0' ? std::string(s) : fallback;
}

SpfOutcome interpret(SPF_response_t* resp, const DnsStats& st) {
  SpfOutcome o;
  if (!st.limit.empty()) {
    o.result = "permerror";
    o.detail = "RFC 7208 limit exceeded: " + quote_untrusted(st.limit, 200);
    return o;
  }
  o.result = resp != nullptr ? word(SPF_response_result(resp)) : "";
  if (o.result.empty()) o.result = st.temperror ? "temperror" : "permerror";
  if (o.result == "temperror") {
    o.detail = "DNS lookup failed: " + quote_untrusted(st.temp_why.empty() ? "temporary error" : st.temp_why, 200);
    return o;
  }
  if (resp == nullptr) {
    o.detail = "libspf2 returned no response";
    return o;
  }
  std::string err = first_error(resp);
  std::string comment = text_or(SPF_response_get_header_comment(resp), err);
  if (o.result == "permerror" && !err.empty() && comment != err) comment += "; " + err;
  o.detail = quote_untrusted(comment.empty() ? o.result : comment, 300);
  if (o.result == "pass" && st.broad) {
    o.broad = true;
    o.detail += "; the record authorises every client (+all or a range of /8 IPv4, /16 IPv6 or wider)";
  } else if (o.result == "neutral" && st.neutral_only) {
    o.broad = true;
    o.detail += "; the record is nothing but ?all";
  }
  return o;
}

bool set_ip(SPF_request_t* req, const std::string& ip) {
  auto parsed = IpAddress::parse(ip);
  if (!parsed) return false;
  std::string text = parsed->unmapped().to_string();
  if (parsed->unmapped().is_v4()) return SPF_request_set_ipv4_str(req, text.c_str()) == SPF_E_SUCCESS;
  return SPF_request_set_ipv6_str(req, text.c_str()) == SPF_E_SUCCESS;
}

SpfOutcome run(SpfDns& dns, const SpfQuery& q) {
  init_library();
  SPF_server_t* srv = shared_server(q.receiver);
  if (srv == nullptr) return {"temperror", "out of memory"};
  CurrentEvaluation current(dns);
  RequestPtr req(SPF_request_new(srv));
  if (!req) return {"temperror", "out of memory"};
  if (!set_ip(req.get(), q.ip)) return {"permerror", "client IP " + quote_untrusted(q.ip, 60) + " is not an address"};
  const std::string& helo = q.helo.empty() ? q.domain : q.helo;
  if (SPF_request_set_helo_dom(req.get(), helo.c_str()) != SPF_E_SUCCESS ||
      SPF_request_set_env_from(req.get(), q.sender.c_str()) != SPF_E_SUCCESS)
    return {"permerror", "sender " + quote_untrusted(q.sender, 100) + " is not usable"};
  SPF_response_t* raw = nullptr;
  (void)SPF_request_query_mailfrom(req.get(), &raw);
  ResponsePtr resp(raw);
  return interpret(resp.get(), dns.stats());
}

bool has_bad_byte(std::string_view s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c >= 0x7f || c == '@' || c == '[' || c == ']') return true;
  return false;
}

}  // namespace

bool valid_spf_domain(std::string_view d) {
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (d.empty() || d.size() > 253 || has_bad_byte(d)) return false;
  int labels = 0;
  while (true) {
    auto dot = d.find('.');
    std::string_view label = d.substr(0, dot);
    if (label.empty() || label.size() > 63) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    d.remove_prefix(dot + 1);
  }
  return labels >= 2;
}

bool valid_helo_domain(std::string_view helo) {
  if (helo.empty() || helo.front() == '[' || IpAddress::parse(helo)) return false;
  return valid_spf_domain(helo);
}

SpfOutcome evaluate_spf(Resolver& r, const SpfQuery& q, std::chrono::milliseconds budget) {
  SpfDns dns(r, std::chrono::steady_clock::now() + budget);
  try {
    return run(dns, q);
  } catch (...) {
    return {"temperror", "internal error during SPF evaluation"};
  }
}

SpfJob& SpfJob::operator=(SpfJob&& o) noexcept {
  if (this != &o) {
    cancel();
    dns_ = std::move(o.dns_);
    ready_ = std::move(o.ready_);
    fut_ = std::move(o.fut_);
    deadline_ = o.deadline_;
    budget_ = o.budget_;
  }
  return *this;
}

SpfJob::~SpfJob() { cancel(); }

void SpfJob::cancel() {
  if (dns_) dns_->cancel();
}

SpfJob SpfJob::start(Resolver& r, SpfQuery q, std::chrono::milliseconds budget) {
  SpfJob j;
  j.budget_ = budget;
  j.deadline_ = std::chrono::steady_clock::now() + budget;
  {  // answers already cached: evaluate here, no thread hop (spf_eval.h)
    SpfDns cached(r, j.deadline_, true);
    SpfOutcome o;
    try {
      o = run(cached, q);
    } catch (...) {
      o = {"temperror", "internal error during SPF evaluation"};
    }
    if (!cached.missed()) {
      j.ready_ = std::move(o);
      return j;
    }
  }
  auto promise = std::make_shared<std::promise<SpfOutcome>>();
  j.fut_ = promise->get_future().share();
  j.dns_ = std::make_shared<SpfDns>(r, j.deadline_);
  bool queued = false;
  try {
    queued = submit([dns = j.dns_, q = std::move(q), promise] {
      SpfOutcome o;
      try {
        o = run(*dns, q);
      } catch (...) {
        o = {"temperror", "internal error during SPF evaluation"};
      }
      promise->set_value(std::move(o));
    });
  } catch (...) {  // out of memory queueing it
  }
  if (!queued)  // no thread to be had: say so, never block the mail
    promise->set_value({"temperror", "could not start the SPF evaluation"});
  return j;
}

SpfOutcome SpfJob::wait() {
  if (ready_) return *ready_;
  if (!fut_.valid()) return {"temperror", "SPF evaluation was not started"};
  if (fut_.wait_until(deadline_) == std::future_status::ready) return fut_.get();
  cancel();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(budget_).count();
  return {"temperror", "SPF evaluation took longer than " + std::to_string(secs) + " s"};
}

Finding make_finding(const std::string& check, const std::string& prop, const std::string& value,
                     const SpfOutcome& o) {
  Finding f{check, o.broad ? o.result + "-broad" : o.result, "", {}};
  std::string who = prop == "smtp.helo" ? "HELO " : "MAIL FROM ";
  f.detail = who + quote_untrusted(value, 100) + ": " + o.result + " (" + o.detail + ")";
  f.ar.push_back(ArEntry{"spf", o.result, "", {{prop, value}}});
  return f;
}

}  // namespace legit::spf
