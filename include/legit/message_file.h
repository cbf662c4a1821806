// message_file.h — splits an RFC 5322 message (as stored in a file) into the
// header fields and body a milter would receive from Postfix.
//
// Header values are given as Postfix passes them to a milter: the text after
// the colon with exactly one leading space removed (Postfix' milter8.c does
// that; a tab or further spaces stay, which DKIM simple canonicalisation needs), folded lines joined with "\n"
// keeping their leading white space. The body gets CRLF line endings. Lines
// that are not headers end the header block (as Postfix' cleanup does); a
// message with no blank line is all headers. Never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "legit/session.h"

namespace legit {

struct ParsedMessage {
  std::vector<HeaderField> headers;
  std::string body;  // CRLF line endings
};

ParsedMessage parse_message(std::string_view raw);

}  // namespace legit
