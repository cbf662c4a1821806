// spf_dns.cc — libspf2's DNS layer on top of legit::Resolver (spf_dns.h).
//
// Every answer is hostile: addresses that do not parse and names that are
// empty are dropped; nothing here throws into libspf2 (a C library), every
// entry point catches and answers TRY_AGAIN / a DNS error instead.
// RFC 7208 §4.4 (record lookup), §4.5 (selecting records), §4.6.4 (limits).
#include "spf_dns.h"

extern "C" {
#include <arpa/inet.h>
#include <netdb.h>
}

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <cstring>
#include <utility>
#include <vector>

#include "legit/us.h"
#include "spf_record.h"

namespace legit::spf {
namespace {

// The evaluation running on this thread (CurrentEvaluation); the shared
// servers' layer carries no state of its own.
thread_local SpfDns* t_current = nullptr;

SPF_dns_rr_t* lookup_cb(SPF_dns_server_t* s, const char* domain, ns_type type, int) {
  try {
    if (t_current == nullptr) return SPF_dns_rr_new_init(s, domain, type, 0, TRY_AGAIN);
    return t_current->lookup(s, domain, type);
  } catch (...) {
    return SPF_dns_rr_new_init(s, domain, type, 0, TRY_AGAIN);
  }
}

SPF_errcode_t get_spf_cb(SPF_server_t* server, SPF_request_t* req, SPF_response_t* resp,
                         SPF_record_t** record) {
  try {
    if (t_current == nullptr) {
      *record = nullptr;
      resp->result = SPF_RESULT_TEMPERROR;
      return SPF_E_DNS_ERROR;
    }
    return t_current->get_spf(server, req, resp, record);
  } catch (...) {
    resp->result = SPF_RESULT_TEMPERROR;
    return SPF_E_DNS_ERROR;
  }
}

// Adds one record's bytes to the RR set; false when out of memory.
bool push(SPF_dns_rr_t* rr, const void* data, std::size_t len) {
  if (SPF_dns_rr_buf_realloc(rr, rr->num_rr, len) != SPF_E_SUCCESS) return false;
  std::memcpy(rr->rr[rr->num_rr], data, len);
  rr->num_rr++;
  return true;
}

bool push_name(SPF_dns_rr_t* rr, const std::string& name) {
  if (name.empty() || name.find('\0') != std::string::npos) return true;  // drop
  return push(rr, name.c_str(), name.size() + 1);
}

bool fill(SPF_dns_rr_t* rr, ns_type type, const std::vector<std::string>& records) {
  if (type == ns_t_mx) {
    for (const auto& n : mx_hosts(records))
      if (!push_name(rr, n)) return false;
    return true;
  }
  for (const auto& r : records) {
    bool ok = true;
    if (type == ns_t_a) {
      in_addr a{};
      if (inet_pton(AF_INET, r.c_str(), &a) == 1) ok = push(rr, &a, sizeof a);
    } else if (type == ns_t_aaaa) {
      in6_addr a{};
      if (inet_pton(AF_INET6, r.c_str(), &a) == 1) ok = push(rr, &a, sizeof a);
    } else if (type == ns_t_ptr || type == ns_t_cname) {
      ok = push_name(rr, r);
    } else if (type == ns_t_txt || type == ns_t_spf) {
      // libspf2 handles C strings: a TXT with a NUL is cut there by design.
      ok = push(rr, r.c_str(), r.size() + 1);
    }
    if (!ok) return false;
  }
  return true;
}

DnsType to_type(ns_type t, bool* known) {
  *known = true;
  switch (t) {
    case ns_t_a: return DnsType::A;
    case ns_t_aaaa: return DnsType::AAAA;
    case ns_t_mx: return DnsType::MX;
    case ns_t_ptr: return DnsType::PTR;
    case ns_t_txt: return DnsType::TXT;
    case ns_t_cname: return DnsType::CNAME;
    case ns_t_spf: return DnsType::SPF;
    default: *known = false; return DnsType::TXT;
  }
}

}  // namespace

bool is_spf1_record(std::string_view rec) {
  constexpr std::string_view v = "v=spf1";
  if (rec.size() < v.size()) return false;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(rec[i])) != v[i]) return false;
  return rec.size() == v.size() || rec[v.size()] == ' ';
}

SPF_dns_rr_t* to_spf_rr(SPF_dns_server_t* srv, const char* domain, ns_type type,
                        const DnsAnswer& a) {
  SPF_dns_stat_t h = TRY_AGAIN;
  switch (a.status) {
    case DnsStatus::ok: h = NETDB_SUCCESS; break;
    case DnsStatus::nxdomain: h = HOST_NOT_FOUND; break;
    case DnsStatus::nodata: h = NO_DATA; break;
    case DnsStatus::temperror: h = TRY_AGAIN; break;
    case DnsStatus::malformed: h = NO_RECOVERY; break;
  }
  int ttl = static_cast<int>(std::min<std::uint32_t>(a.ttl, 86400));
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(srv, domain, type, ttl, h);
  if (rr == nullptr || h != NETDB_SUCCESS) return rr;
  if (!fill(rr, type, a.records)) {
    SPF_dns_rr_free(rr);
    return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
  }
  if (rr->num_rr == 0) rr->herrno = NO_DATA;  // only junk: as if empty
  return rr;
}

CurrentEvaluation::CurrentEvaluation(SpfDns& dns) { t_current = &dns; }
CurrentEvaluation::~CurrentEvaluation() { t_current = nullptr; }

SPF_server_t* shared_server(const std::string& receiver) {
  // Made once per receiver and kept until exit (reachable, never freed: an
  // evaluation may still run on a pool thread while the process exits). The
  // layer has no destroy function, so libspf2 would leave it alone anyway.
  static std::mutex mu;
  static auto* servers = new std::map<std::string, SPF_server_t*>();
  static SPF_dns_server_t* layer = [] {
    auto* d = static_cast<SPF_dns_server_t*>(std::calloc(1, sizeof(SPF_dns_server_t)));
    if (d != nullptr) {
      d->destroy = nullptr;
      d->lookup = lookup_cb;
      d->get_spf = get_spf_cb;
      d->name = "legit";
      d->hook = nullptr;
    }
    return d;
  }();
  std::lock_guard<std::mutex> g(mu);
  auto it = servers->find(receiver);
  if (it != servers->end()) return it->second;
  if (layer == nullptr) return nullptr;
  SPF_server_t* srv = SPF_server_new_dns(layer, 0);
  if (srv == nullptr) return nullptr;
  if (!receiver.empty()) (void)SPF_server_set_rec_dom(srv, receiver.c_str());
  SPF_response_t* none = nullptr;
  (void)SPF_server_set_explanation(srv, "", &none);  // no openspf.org default text
  ResponsePtr discard(none);
  servers->emplace(receiver, srv);
  return srv;
}

void SpfDns::cancel() {
  std::lock_guard<std::mutex> g(mu_);
  cancelled_ = true;
}

DnsStats SpfDns::stats() const {
  std::lock_guard<std::mutex> g(mu_);
  return stats_;
}

bool SpfDns::missed() const {
  std::lock_guard<std::mutex> g(mu_);
  return missed_;
}

DnsAnswer SpfDns::query(const std::string& name, DnsType type) {
  DnsLookup l;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (cancelled_ || std::chrono::steady_clock::now() >= deadline_)
      return DnsAnswer::of(DnsStatus::temperror, "SPF evaluation deadline passed");
    if (!stats_.limit.empty())  // the result is permerror already: ask nothing more
      return DnsAnswer::of(DnsStatus::nxdomain);
    l = resolver_.lookup(name, type);
    if (cache_only_ && !l.is_ready()) {
      missed_ = cancelled_ = true;
      return DnsAnswer::of(DnsStatus::temperror, "not in the answer cache");
    }
  }
  try {
    return l.get();
  } catch (...) {  // broken promise: the resolver went away
    return DnsAnswer::of(DnsStatus::temperror, "resolver gone");
  }
}

void SpfDns::note_temperror(const std::string& name, DnsType type, const DnsAnswer& a) {
  if (a.status != DnsStatus::temperror) return;
  std::lock_guard<std::mutex> g(mu_);
  if (!stats_.temperror)
    stats_.temp_why = name + "/" + to_string(type) + ": " + (a.why.empty() ? "temporary error" : a.why);
  stats_.temperror = true;
}

bool SpfDns::count_term(const std::string& name, ns_type type) {
  std::lock_guard<std::mutex> g(mu_);
  counted_term_ = false;
  if (type == ns_t_cname) return false;  // not a term
  if (type == ns_t_a || type == ns_t_aaaa) {
    auto it = targets_.find(name);
    if (it != targets_.end()) {  // address of an MX or PTR name: part of that term
      bool from_ptr = it->second;
      targets_.erase(it);
      return from_ptr;
    }
  }
  counted_term_ = true;
  if (++stats_.terms > kMaxTerms && stats_.limit.empty())
    stats_.limit = "more than " + std::to_string(kMaxTerms) + " DNS-querying terms";
  return false;
}

void SpfDns::count_void(const DnsAnswer& a) {
  if (a.status != DnsStatus::nxdomain && a.status != DnsStatus::nodata) return;
  std::lock_guard<std::mutex> g(mu_);
  if (!counted_term_) return;
  if (++stats_.voids > kMaxVoid && stats_.limit.empty())
    stats_.limit = "more than " + std::to_string(kMaxVoid) + " void lookups";
}

SPF_dns_rr_t* SpfDns::lookup(SPF_dns_server_t* srv, const char* domain, ns_type type) {
  bool known = false;
  DnsType t = to_type(type, &known);
  if (domain == nullptr || !known) return SPF_dns_rr_new_init(srv, domain ? domain : "", type, 0, NO_RECOVERY);
  // The only TXT that libspf2 asks here is an exp= explanation (records
  // come through get_spf, checked and rewritten). Its text is the sender's
  // and libspf2 1.2.10 compiles it with SPF_record_compile_macro, whose
  // stack buffer overflows on crafted text (stack smashing: the whole milter
  // aborts; found by fuzz_spf_eval, the CVE-2021-20314 class). So no
  // explanation is ever fetched: NO_DATA makes libspf2 use the server's
  // default, which is empty. The result does not change (RFC 7208 §6.2:
  // exp= only words a rejection), nor is the sender's DNS asked.
  if (type == ns_t_txt || type == ns_t_spf) return SPF_dns_rr_new_init(srv, domain, type, 0, NO_DATA);
  std::string name(domain);
  bool ptr_target = count_term(name, type);
  std::string kind, inner;
  bool marker = type == ns_t_a && parse_a0_marker(name, &kind, &inner);
  DnsAnswer a = marker ? any_address(kind, inner) : query(name, t);
  // RFC 7208 §5.5: a DNS error on the address of a PTR name skips that name.
  if (ptr_target && a.status == DnsStatus::temperror) a = DnsAnswer::of(DnsStatus::nodata);
  note_temperror(name, t, a);
  count_void(a);
  if (a.ok() && (type == ns_t_mx || type == ns_t_ptr)) {
    std::vector<std::string> names = type == ns_t_mx ? mx_hosts(a.records) : a.records;
    std::lock_guard<std::mutex> g(mu_);
    if (type == ns_t_mx && names.size() > kMaxMx && stats_.limit.empty())
      stats_.limit = "more than " + std::to_string(kMaxMx) + " MX names for " + name;
    if (type == ns_t_ptr && a.records.size() > kMaxPtr) a.records.resize(kMaxPtr);
    std::size_t n = std::min(names.size(), type == ns_t_mx ? kMaxMx : kMaxPtr);
    for (std::size_t i = 0; i < n; ++i) targets_[names[i]] = type == ns_t_ptr;
  }
  return to_spf_rr(srv, domain, type, a);
}

DnsAnswer SpfDns::any_address(const std::string& kind, const std::string& domain) {
  DnsType fam = kind.back() == '6' ? DnsType::AAAA : DnsType::A;
  std::vector<std::string> hosts{domain};
  if (kind[0] == 'm') {
    DnsAnswer mx = query(domain, DnsType::MX);
    if (!mx.ok()) return mx;
    hosts = mx_hosts(mx.records);
    if (hosts.size() > kMaxMx) {
      std::lock_guard<std::mutex> g(mu_);
      if (stats_.limit.empty()) stats_.limit = "more than " + std::to_string(kMaxMx) + " MX names for " + domain;
      return DnsAnswer::of(DnsStatus::nodata);
    }
  }
  DnsAnswer last = DnsAnswer::of(DnsStatus::nodata);
  for (const auto& h : hosts) {
    last = query(h, fam);
    if (last.ok()) return DnsAnswer{DnsStatus::ok, {"127.0.0.1"}, last.ttl, ""};
    if (last.status == DnsStatus::temperror) return last;
  }
  return last;
}

SPF_errcode_t SpfDns::get_spf(SPF_server_t* server, SPF_request_t* req, SPF_response_t* resp,
                              SPF_record_t** record) {
  *record = nullptr;
  std::string domain = req->cur_dom ? req->cur_dom : "";
  bool top = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    top = !stats_.top_level_seen;
    stats_.top_level_seen = true;
  }
  if (!top) count_term(domain, ns_t_any);  // include/redirect: always a term
  DnsAnswer a = query(domain, DnsType::TXT);
  note_temperror(domain, DnsType::TXT, a);
  if (!top) count_void(a);
  if (a.status == DnsStatus::temperror) {
    resp->result = SPF_RESULT_TEMPERROR;
    return SPF_response_add_error(resp, SPF_E_DNS_ERROR, "Temporary DNS failure for '%s'.",
                                  domain.c_str());
  }
  std::vector<const std::string*> found;
  for (const auto& r : a.records)
    if (is_spf1_record(r)) found.push_back(&r);
  if (found.empty()) {
    resp->result = SPF_RESULT_NONE;
    resp->reason = SPF_REASON_FAILURE;
    return SPF_response_add_error(resp, SPF_E_NOT_SPF, "No SPF record for '%s' (%s).",
                                  domain.c_str(), to_string(a.status));
  }
  if (found.size() > 1) {
    resp->result = SPF_RESULT_PERMERROR;
    resp->reason = SPF_REASON_FAILURE;
    resp->err = SPF_E_MULTIPLE_RECORDS;
    return SPF_response_add_error(resp, SPF_E_MULTIPLE_RECORDS, "Multiple SPF records for '%s'.",
                                  domain.c_str());
  }
  std::optional<IpAddress> client =
      req->client_ver == AF_INET6
          ? IpAddress::from_bytes(IpAddress::Family::v6, reinterpret_cast<const std::uint8_t*>(&req->ipv6))
          : IpAddress::from_bytes(IpAddress::Family::v4, reinterpret_cast<const std::uint8_t*>(&req->ipv4));
  RecordCheck rc = check_record(*found.front(), *client);
  if (rc.ok) {
    std::lock_guard<std::mutex> g(mu_);
    stats_.broad = stats_.broad || rc.broad;
    if (top) stats_.neutral_only = rc.neutral_only;
  }
  if (!rc.ok) {
    resp->result = SPF_RESULT_PERMERROR;
    resp->reason = SPF_REASON_FAILURE;
    resp->err = SPF_E_SYNTAX;
    return SPF_response_add_error(resp, SPF_E_SYNTAX, "Bad SPF record for '%s': %s.", domain.c_str(),
                                  rc.why.c_str());
  }
  SPF_errcode_t err = SPF_record_compile(server, resp, record, rc.rewritten.c_str());
  if (err == SPF_E_SUCCESS && *record != nullptr && (*record)->num_mech != rc.mechanisms) {
    // libspf2 dropped mechanisms past its compiled-size limit: never a silent neutral.
    char why[160];
    std::snprintf(why, sizeof why, "record of '%.80s' too long for libspf2: it kept %d of %d mechanisms",
                  domain.c_str(), int((*record)->num_mech), rc.mechanisms);
    err = SPF_E_BIG_MECH;
    (void)SPF_response_add_error(resp, err, "%s", why);
  }
  if (err != SPF_E_SUCCESS) {
    if (*record != nullptr) SPF_record_free(*record);
    *record = nullptr;
    resp->result = SPF_RESULT_PERMERROR;
    resp->reason = SPF_REASON_FAILURE;
    resp->err = err;
  }
  return err;
}

}  // namespace legit::spf
