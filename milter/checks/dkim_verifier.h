// dkim_verifier.h — one message through libopendkim's verifier (RFC 6376,
// ed25519-sha256 per RFC 8463), with key records supplied by the caller.
//
// libopendkim facts this relies on (its docs, dkim_lib.html / overview.html):
// one DKIM_LIB "can be used by several threads at once", and "there is no
// memory shared between [DKIM] handles, so two different handles may be
// concurrently accessed in separate threads". So the library handle is
// created once per process (configured before first use, never changed) and
// every message gets its own DKIM handle, owned here. The key-lookup callback
// finds its Verifier through dkim_set_user_context() on the message handle.
// Signature processing is delayed to end-of-message (DKIM_LIBFLAGS_
// DELAYSIGPROC): otherwise dkim_eoh() would block on key lookups.
//
// Bad input never throws: a header libopendkim refuses, a malformed
// DKIM-Signature or a key that cannot be used becomes that signature's
// result word (permerror, neutral, ...), never an exception.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "legit/dns.h"

namespace legit::dkim {

// What the verifier found for one signature.
struct SigResult {
  std::string domain;     // d= (as written; "" if unreadable)
  std::string selector;   // s=
  std::string algorithm;  // a= ("rsa-sha256", "ed25519-sha256", ...)
  std::string b_prefix;   // first 8 characters of b= (RFC 6008 header.b)
  unsigned key_bits = 0;  // 0 = key not loaded
  std::string result;     // pass fail neutral policy temperror permerror
  std::string why;        // short reason for anything but pass
};

// Answers the TXT lookup of "<selector>._domainkey.<domain>"; may block.
using KeyFetch = std::function<DnsAnswer(const std::string& selector, const std::string& domain)>;

// "Name: value" as the signer saw it, from the name and the value as Postfix
// gives it to a milter (one space after the colon eaten, folds as "\n"):
// CRLF folds, and the one space put back unless the value starts with a tab
// or a fold. Bare CRs in the value are dropped.
std::string header_line(std::string_view name, std::string_view value);

class Verifier {
 public:
  // At most `max_sigs` signatures are evaluated (the rest are ignored).
  Verifier(KeyFetch fetch, std::size_t max_sigs);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  void header(std::string_view name, std::string_view value);
  void end_of_headers();
  void body(std::string_view chunk);
  // False once every signature has all the body it covers (l=, or no
  // signature at all, or verification impossible); true before
  // end_of_headers and while a signature still hashes the body.
  bool body_needed() const;
  // Runs the verification. `body_truncated`: the caller stopped feeding the
  // body early; a signature whose body hash then mismatches (and whose l=
  // does not cover what was fed) is "neutral", not "fail".
  // An empty vector means the message carries no signature.
  std::vector<SigResult> finish(bool body_truncated);

  struct Handle;  // libopendkim state; defined in dkim_verifier.cc only

 private:
  std::unique_ptr<Handle> h_;
};

}  // namespace legit::dkim
