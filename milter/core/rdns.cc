// rdns.cc — the client's PTR names and their forward confirmation (rdns.h).
//
// A PTR answer that is not ok gives no names; PTR targets that are not valid
// host names are counted in invalid_names and never forward-checked (a PTR
// is controlled by whoever owns the reverse zone: hostile input).
#include "legit/rdns.h"

#include "names.h"

namespace legit {

void ReverseDns::start(Resolver& r, const IpAddress& ip) {
  resolver_ = &r;
  ip_ = ip.unmapped();
  ptr_ = r.reverse(*ip_);
}

void ReverseDns::start_forward(const DnsAnswer& ptr) {
  if (!ptr.ok()) return;
  DnsType t = ip_->is_v4() ? DnsType::A : DnsType::AAAA;
  for (const auto& name : ptr.records) {
    if (forward_.size() >= kMaxNames) break;
    if (!is_hostname(name)) continue;
    forward_.emplace_back(normalize_name(name), resolver_->lookup(name, t));
  }
}

void ReverseDns::advance() {
  if (!resolver_ || ptr_answer_ || !ptr_.is_ready()) return;
  ptr_answer_ = ptr_.get();
  start_forward(*ptr_answer_);
}

bool ReverseDns::ready() const {
  if (result_ || !resolver_) return true;
  if (!ptr_answer_) return false;
  for (const auto& f : forward_)
    if (!f.second.is_ready()) return false;
  return true;
}

const RdnsResult& ReverseDns::result() {
  if (result_) return *result_;
  RdnsResult r;
  if (!resolver_) {
    r.ptr_status = DnsStatus::malformed;
    r.ptr_why = "no client address";
    result_ = r;
    return *result_;
  }
  if (!ptr_answer_) {
    ptr_answer_ = ptr_.get();
    start_forward(*ptr_answer_);
  }
  r.ptr_status = ptr_answer_->status;
  r.ptr_why = ptr_answer_->why;
  if (ptr_answer_->ok()) {
    for (const auto& name : ptr_answer_->records)
      if (!is_hostname(name)) ++r.invalid_names;
  }
  for (auto& [name, lookup] : forward_) {
    r.names.push_back(name);
    DnsAnswer a = lookup.get();
    if (a.status == DnsStatus::temperror) {
      r.forward_temperror = true;
      continue;
    }
    for (const auto& rec : a.records) {
      auto addr = IpAddress::parse(rec);
      if (addr && *addr == *ip_) {
        r.confirmed.push_back(name);
        break;
      }
    }
  }
  result_ = std::move(r);
  return *result_;
}

std::string ReverseDns::best_name() {
  const auto& r = result();
  if (!r.confirmed.empty()) return r.confirmed.front();
  if (!r.names.empty()) return r.names.front();
  return "";
}

}  // namespace legit
