// keys.cc — networks, domains and Message-IDs as the memory keys them
// (keys.h). Untrusted header text: ids are taken between '<' and '>', at
// most 250 bytes each; anything else is ignored.
#include "keys.h"

#include <algorithm>

#include "../checks/dmarc_record.h"
#include "../core/names.h"
#include "legit/domain.h"

namespace legit::mkeys {

std::string network_of(const IpAddress& ip) {
  std::uint8_t b[16] = {};
  std::copy(ip.bytes(), ip.bytes() + ip.size(), b);
  std::size_t keep = ip.is_v4() ? 3 : 8;
  std::fill(b + keep, b + ip.size(), 0);
  return IpAddress::from_bytes(ip.family(), b).to_string() + (ip.is_v4() ? "/24" : "/64");
}

std::string from_registrable(const Session& s) {
  return registrable_domain(dmarc::from_domain(s.msg.first_from, s.msg.from_count).domain);
}

std::vector<std::string> candidate_domains(Session& s) {
  std::vector<std::string> out;
  for (const std::string* d : {&sender_domain(s), &from_domain(s)})
    if (!d->empty() && std::find(out.begin(), out.end(), *d) == out.end()) out.push_back(*d);
  return out;
}

std::vector<std::string> authenticated_domains(const Session& s, const std::string& from) {
  std::vector<std::string> out;
  const auto& a = s.msg.auth;
  if (a.spf_mailfrom == "pass") {
    std::string d = registrable_domain(a.spf_mailfrom_domain);
    if (!d.empty()) out.push_back(d);
  }
  for (const auto& sig : a.dkim)
    if (sig.result == "pass" && !from.empty() && registrable_domain(sig.domain) == from &&
        std::find(out.begin(), out.end(), from) == out.end())
      out.push_back(from);
  return out;
}

const std::string& network(Session& s) {
  auto& m = s.reads.shared;
  if (!m.have_network) m.network = network_of(*s.conn.ip), m.have_network = true;
  return m.network;
}

const std::string& sender_domain(Session& s) {
  auto& m = s.reads.shared;
  if (!m.have_sender_domain) m.sender_domain = registrable_domain(s.mail_from_domain()), m.have_sender_domain = true;
  return m.sender_domain;
}

const std::string& from_domain(Session& s) {
  auto& m = s.reads.shared;
  if (!m.have_from_domain) m.from_domain = from_registrable(s), m.have_from_domain = true;
  return m.from_domain;
}

const std::vector<std::string>& authenticated(Session& s) {
  auto& m = s.reads.shared;
  if (!m.have_authenticated) m.authenticated = authenticated_domains(s, from_domain(s)), m.have_authenticated = true;
  return m.authenticated;
}

std::string_view address(std::string_view addr, std::string& buf) {
  auto at = addr.rfind('@');
  if (at == std::string_view::npos) return addr;
  std::string_view domain = addr.substr(at + 1);
  if (std::none_of(domain.begin(), domain.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    return addr;
  buf.assign(addr.substr(0, at + 1)).append(dns_domain(domain));
  return buf;
}

static void add_ids(std::string_view v, std::vector<std::string>& out) {
  while (out.size() < 20) {
    auto open = v.find('<');
    if (open == std::string_view::npos) return;
    auto close = v.find('>', open);
    if (close == std::string_view::npos) return;
    if (close - open > 2 && close - open <= 250) out.emplace_back(v.substr(open, close - open + 1));
    v.remove_prefix(close + 1);
  }
}

std::vector<std::string> referenced_ids(const Session& s) {
  std::vector<std::string> out;
  for (const auto& h : s.msg.headers)
    if (iequals(h.name, "In-Reply-To") || iequals(h.name, "References")) add_ids(h.value, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string message_id(const Session& s) {
  for (const auto& h : s.msg.headers)
    if (iequals(h.name, "Message-ID")) {
      std::vector<std::string> ids;
      add_ids(h.value, ids);
      return ids.empty() ? "" : ids.front();
    }
  return "";
}

}  // namespace legit::mkeys
