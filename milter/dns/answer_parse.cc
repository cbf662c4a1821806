// answer_parse.cc — query-name checks and DNS wire reply → DnsAnswer
// (RFC 1035 names and rcodes, RFC 7505 null MX), parsed with ldns.
//
// Bad input never throws: a name that cannot be a DNS name is refused with a
// reason; a reply ldns cannot parse, or whose rdata is not what its type
// promises, becomes `malformed`. Names inside rdata are returned in ldns's
// presentation form, so bytes outside printable ASCII stay escaped (\000) and
// callers can see they are not hostnames.
#include "answer_parse.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

// stdbool.h first: without __bool_true_false_are_defined, ldns/common.h
// #defines bool, true and false for the rest of the file.
#include <stdbool.h>  // NOLINT
#include <ldns/ldns.h>

namespace legit::dns_detail {
namespace {

constexpr std::size_t kMaxName = 253;   // presentation length, no final dot
constexpr std::size_t kMaxLabel = 63;

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

bool plain_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

void append_escaped(std::string& out, std::string_view label) {
  for (unsigned char c : label) {
    if (plain_byte(c)) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
      out += buf;
    }
  }
}

// ldns_rdf2str wrapped into a std::string ("" on failure).
std::string rdf_text(const ldns_rdf* rdf) {
  if (rdf == nullptr) return {};
  char* s = ldns_rdf2str(rdf);
  if (s == nullptr) return {};
  std::string out(s);
  std::free(s);
  return out;
}

const char* rcode_name(int rcode) {
  switch (rcode) {
    case LDNS_RCODE_FORMERR: return "FORMERR";
    case LDNS_RCODE_SERVFAIL: return "SERVFAIL";
    case LDNS_RCODE_NOTIMPL: return "NOTIMP";
    case LDNS_RCODE_REFUSED: return "REFUSED";
    default: return "unexpected rcode";
  }
}

// One record of the asked type as text; nullopt if its rdata does not have
// the shape the type promises.
std::optional<std::string> record_text(const ldns_rr* rr, DnsType type) {
  std::size_t n = ldns_rr_rd_count(rr);
  const ldns_rdf* first = ldns_rr_rdf(rr, 0);
  switch (type) {
    case DnsType::A:
    case DnsType::AAAA: {
      auto want = type == DnsType::A ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA;
      if (n != 1 || ldns_rdf_get_type(first) != want) return std::nullopt;
      return rdf_text(first);
    }
    case DnsType::PTR:
    case DnsType::CNAME:
    case DnsType::NS:
      if (n != 1 || ldns_rdf_get_type(first) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
      return name_text(rdf_text(first));
    case DnsType::MX: {
      if (n != 2 || ldns_rdf_get_type(first) != LDNS_RDF_TYPE_INT16) return std::nullopt;
      const ldns_rdf* exch = ldns_rr_rdf(rr, 1);
      if (ldns_rdf_get_type(exch) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
      return std::to_string(ldns_rdf2native_int16(first)) + " " + name_text(rdf_text(exch));
    }
    case DnsType::TXT:
    case DnsType::SPF: {
      std::string out;
      for (std::size_t i = 0; i < n; ++i) {
        const ldns_rdf* s = ldns_rr_rdf(rr, i);
        const std::uint8_t* d = ldns_rdf_data(s);
        std::size_t size = ldns_rdf_size(s);
        if (ldns_rdf_get_type(s) != LDNS_RDF_TYPE_STR || size < 1 || d[0] + 1u != size)
          return std::nullopt;
        out.append(reinterpret_cast<const char*>(d + 1), d[0]);
      }
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> query_name(std::string_view name, std::string* why) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  const char* problem = nullptr;
  if (name.empty()) problem = "empty name";
  else if (name.size() > kMaxName) problem = "name too long";
  std::string out;
  while (problem == nullptr) {
    std::size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty()) problem = "empty label";
    else if (label.size() > kMaxLabel) problem = "label too long";
    else append_escaped(out, label);
    out += '.';
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  if (problem != nullptr) {
    if (why != nullptr) *why = problem;
    return std::nullopt;
  }
  return out;
}

std::string name_text(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return s;
}

DnsAnswer parse_answer(const std::uint8_t* wire, std::size_t len, DnsType type,
                       std::uint32_t negative_ttl) {
  ldns_pkt* raw = nullptr;
  if (wire == nullptr || ldns_wire2pkt(&raw, wire, len) != LDNS_STATUS_OK || raw == nullptr)
    return DnsAnswer::of(DnsStatus::malformed, "unparseable answer");
  PktPtr pkt(raw);
  int rcode = ldns_pkt_get_rcode(pkt.get());
  if (rcode == LDNS_RCODE_NXDOMAIN) {
    DnsAnswer a = DnsAnswer::of(DnsStatus::nxdomain);
    a.ttl = negative_ttl;
    return a;
  }
  if (rcode != LDNS_RCODE_NOERROR) return DnsAnswer::of(DnsStatus::temperror, rcode_name(rcode));

  DnsAnswer a;
  const ldns_rr_list* answer = ldns_pkt_answer(pkt.get());
  std::size_t count = answer ? ldns_rr_list_rr_count(answer) : 0;
  for (std::size_t i = 0; i < count; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answer, i);
    if (ldns_rr_get_type(rr) != static_cast<ldns_rr_type>(type) ||
        ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
      continue;
    auto text = record_text(rr, type);
    if (!text) return DnsAnswer::of(DnsStatus::malformed, "bad rdata");
    a.ttl = a.records.empty() ? ldns_rr_ttl(rr) : std::min(a.ttl, ldns_rr_ttl(rr));
    a.records.push_back(std::move(*text));
  }
  a.status = a.records.empty() ? DnsStatus::nodata : DnsStatus::ok;
  if (a.records.empty()) a.ttl = negative_ttl;
  return a;
}

DnsAnswer map_result(const ResultView& r, DnsType type) {
  if (r.err != 0) return DnsAnswer::of(DnsStatus::temperror, r.err_text ? r.err_text : "error");
  if (r.bogus) return DnsAnswer::of(DnsStatus::temperror, "bogus");
  auto neg_ttl = static_cast<std::uint32_t>(std::max(r.ttl, 0));
  if (r.packet != nullptr && r.packet_len > 0)
    return parse_answer(r.packet, r.packet_len, type, neg_ttl);
  // No packet (should not happen with libunbound): decide from the flags.
  if (r.nxdomain || r.rcode == LDNS_RCODE_NXDOMAIN) return DnsAnswer::of(DnsStatus::nxdomain);
  if (r.rcode != LDNS_RCODE_NOERROR) return DnsAnswer::of(DnsStatus::temperror, rcode_name(r.rcode));
  if (r.havedata) return DnsAnswer::of(DnsStatus::malformed, "no answer packet");
  return DnsAnswer::of(DnsStatus::nodata);
}

}  // namespace legit::dns_detail
