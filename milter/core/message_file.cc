// message_file.cc — raw message → milter-style headers and body (message_file.h).
#include "legit/message_file.h"

namespace legit {

static bool is_field_name(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= 32 || c >= 127 || c == ':') return false;
  return true;
}

static std::string_view chomp(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

ParsedMessage parse_message(std::string_view raw) {
  ParsedMessage m;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t end = raw.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? raw.size() : end + 1;
    std::string_view line = chomp(raw.substr(pos, next - pos));
    if (line.empty()) {  // blank line: the body follows
      pos = next;
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
      m.headers.back().value += "\n";
      m.headers.back().value += line;
      pos = next;
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_field_name(line.substr(0, colon))) break;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);  // as Postfix' milter8.c does
    m.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
    pos = next;
  }
  for (; pos < raw.size();) {
    std::size_t end = raw.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? raw.size() : end + 1;
    m.body += chomp(raw.substr(pos, next - pos));
    if (end != std::string_view::npos) m.body += "\r\n";
    pos = next;
  }
  return m;
}

}  // namespace legit
