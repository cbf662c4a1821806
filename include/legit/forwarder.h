// forwarder.h — is the client a listed forwarder (`forwarders` option)?
//
// Forwarders and mailing lists resend mail from other domains: SPF of the
// original MAIL FROM domain fails and a list footer breaks the author's
// DKIM, so DMARC fails although nothing is forged. A client listed in
// `forwarders` — an IP network, or a domain that one of its forward-
// confirmed PTR names equals or ends in (".example.org") — is judged by what
// it adds itself (its own DKIM signature, its own HELO and PTR), not by SPF
// and DMARC of the original domain: spf and dmarc report `forwarded` instead
// of a failure, and no DMARC floor applies. The cost: a spoof sent through a
// listed forwarder is no longer stopped by the owner's DMARC policy — list
// only hosts that filter what they accept. Bad entries never throw: a
// network that does not parse is read as a domain name.
#pragma once

#include "legit/session.h"

namespace legit {

// Waits for the client's reverse DNS when a domain entry needs it (the
// lookup started at connect; bounded by the resolver's deadline).
bool is_forwarder(Session& s);

}  // namespace legit
