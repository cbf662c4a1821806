// check_cli.cc — `legit-milter check`: runs the engine on one session
// offline, with the same config, resolver and checks as the milter, and
// prints the explanation (human-readable, or JSON with --json as fixed in
// DESIGN.md's interface contract).
//
// The session options (--client-ip, --helo, ...) are taken out of argv here;
// everything else goes to parse_config, so every milter option works too.
// Bad input (unknown option, unparsable IP, unreadable message) → message
// on stderr, exit 2.
#include "check_cli.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "memory_cli.h"
#include "legit/config.h"
#include "legit/engine.h"
#include "legit/headers.h"
#include "legit/json.h"
#include "legit/message_file.h"
#include "legit/us.h"

namespace legit {
namespace {

struct CheckArgs {
  std::map<std::string, std::string> one;  // every kValued option but rcpt
  std::vector<std::string> rcpts;
  bool json = false;
  bool record = false;  // --record: update the memory like a real session
  std::vector<std::string> rest;           // for parse_config (rest[0] = "check")
};

const char* const kValued[] = {"client-ip", "client-name", "helo", "mail-from", "rcpt", "auth", "message",
                               "queue-id", "server-name", "server-addr", "rcpt-mailer", "rcpt-host"};

// Returns "" on success, else the error text.
std::string split_args(int argc, char** argv, CheckArgs& a) {
  a.rest.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") { a.json = true; continue; }
    if (arg == "--record") { a.record = true; continue; }
    std::string name, value;
    bool matched = false;
    for (const char* k : kValued) {
      std::string flag = std::string("--") + k;
      if (arg == flag) {
        if (i + 1 >= argc) return "option '" + std::string(k) + "' needs a value";
        name = k, value = argv[++i], matched = true;
      } else if (arg.rfind(flag + "=", 0) == 0) {
        name = k, value = arg.substr(flag.size() + 1), matched = true;
      }
      if (matched) break;
    }
    if (!matched) { a.rest.push_back(arg); continue; }
    if (name == "rcpt") a.rcpts.push_back(value);
    else a.one[name] = value;
  }
  if (!a.one.count("client-ip")) return "option 'client-ip' is required";
  if (!IpAddress::parse(a.one["client-ip"]))
    return "option 'client-ip': '" + a.one["client-ip"] + "' is not an IP address";
  return "";
}

void print_json(const Outcome& o) {
  std::ostringstream j;
  j << "{\"score\": " << format_points(o.verdict.score) << ", \"action\": "
    << json_quote(to_string(o.action));
  if (o.action != o.verdict.action) j << ", \"would\": " << json_quote(to_string(o.verdict.action));
  j << ", \"scored\": " << (o.kind == Outcome::Kind::scored ? "true" : "false") << ", \"checks\": [";
  for (std::size_t i = 0; i < o.verdict.items.size(); ++i) {
    const auto& it = o.verdict.items[i];
    j << (i ? ", " : "") << "{\"check\": " << json_quote(it.finding.check)
      << ", \"result\": " << json_quote(it.finding.result) << ", \"points\": " << format_points(it.points)
      << ", \"detail\": " << json_quote(it.finding.detail) << "}";
  }
  j << "], \"headers\": {";
  for (std::size_t i = 0; i < o.adds.size(); ++i)
    j << (i ? ", " : "") << json_quote(o.adds[i].first) << ": " << json_quote(o.adds[i].second);
  j << "}, \"deleted\": [";
  for (std::size_t i = 0; i < o.deletes.size(); ++i)
    j << (i ? ", " : "") << "{\"name\": " << json_quote(o.deletes[i].name) << ", \"index\": " << o.deletes[i].index << "}";
  j << "]";
  if (!o.reply_code.empty())
    j << ", \"reply\": " << json_quote(o.reply_code + " " + o.reply_xcode + " " + o.reply_text);
  j << ", \"log\": " << json_quote(o.log_line) << "}\n";
  std::cout << j.str();
}

void print_human(const Outcome& o) {
  if (o.kind != Outcome::Kind::scored) {
    std::cout << "not scored: " << (o.kind == Outcome::Kind::trusted ? "trusted network" : "authenticated client") << "\n";
  } else {
    std::cout << "score " << format_points(o.verdict.score) << " -> " << to_string(o.action);
    if (o.action != o.verdict.action) std::cout << " (dry-run; would " << to_string(o.verdict.action) << ")";
    std::cout << "\n\n";
    for (const auto& it : o.verdict.items) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %-14s %-14s %6s  ", it.finding.check.c_str(),
                    it.finding.result.c_str(), format_points(it.points).c_str());
      std::cout << buf << it.finding.detail << "\n";
    }
    std::cout << "\n";
  }
  for (const auto& d : o.deletes) std::cout << "remove: " << d.name << " #" << d.index << "\n";
  for (const auto& [name, value] : o.adds) std::cout << name << ": " << value << "\n";
  if (!o.reply_code.empty()) std::cout << "reply: " << o.reply_code << " " << o.reply_xcode << " " << o.reply_text << "\n";
  if (!o.quarantine_reason.empty()) std::cout << "quarantine: " << o.quarantine_reason << "\n";
}

}  // namespace

int run_check(int argc, char** argv) {
  CheckArgs a;
  std::string err = split_args(argc, argv, a);
  std::vector<const char*> rest;
  for (auto& s : a.rest) rest.push_back(s.c_str());
  ParseResult pr = parse_config(int(rest.size()), rest.data());
  if (pr.show_help) {
    std::cout << "usage: legit-milter check --client-ip IP [--client-name NAME] [--helo NAME]\n"
                 "         [--mail-from ADDR] [--rcpt ADDR]... [--auth USER] [--message FILE]\n"
                 "         [--queue-id ID] [--server-name NAME] [--server-addr IP]\n"
                 "         [--rcpt-mailer M [--rcpt-host H]] [--json] [--record] [-c FILE] [milter options]\n"
                 "  --record       update the memory (history, greylisting) as the milter would\n"
                 "  --server-name  the MTA's own name (Postfix $myhostname, macro j)\n"
                 "  --server-addr  the address the client connected to ({daemon_addr})\n"
                 "  --rcpt-mailer  how the MTA routes every --rcpt ({rcpt_mailer}: smtp, local,\n"
                 "                 virtual, relay...); --rcpt-host its next hop ({rcpt_host};\n"
                 "                 default: the recipient's own domain)\n\n"
              << pr.help_text;
    return 0;
  }
  if (err.empty() && !pr.config) err = pr.error;
  if (!err.empty()) {
    std::cerr << "legit-milter check: " << err << "\n";
    return 2;
  }
  ParsedMessage msg;
  if (a.one.count("message")) {
    std::ifstream in(a.one["message"], std::ios::binary);
    if (!in) {
      std::cerr << "legit-milter check: cannot read message file '" << a.one["message"] << "'\n";
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    msg = parse_message(ss.str());
  }
  const Config& cfg = *pr.config;
  std::unique_ptr<Resolver> resolver;
  try {
    // One session offline: no health probe (each lookup reports its own
    // failure; the milter is where a lying resolver must not cause rejects).
    ResolverOptions ropts = resolver_options(cfg);
    ropts.canaries.clear();
    resolver = make_unbound_resolver(ropts);
  } catch (const std::exception& e) {
    std::cerr << "legit-milter check: option 'dns-server': " << e.what() << "\n";
    return 2;
  }
  Engine engine(cfg, *resolver);
  auto memory = open_check_memory(cfg, a.record);  // memory_cli.cc
  engine.set_memory(memory.get());
  auto d = engine.open();
  d->server(a.one["server-name"], a.one["server-addr"]);  // "" = unknown, as without the macros
  d->connect(a.one.count("client-name") ? a.one["client-name"] : "unknown", a.one["client-ip"]);
  if (a.one.count("helo")) d->helo(a.one["helo"]);
  d->mail_from(a.one["mail-from"], a.one["auth"]);
  // Recipients: the route the MTA would report (Postfix: the recipient's
  // domain as next hop of the default transport).
  const bool own_host = a.one.count("rcpt-host") > 0;
  const std::string mailer = a.one["rcpt-mailer"], host = a.one["rcpt-host"];
  for (const auto& r : a.rcpts) d->rcpt(r, mailer, own_host || mailer.empty() ? host : rcpt_domain(r));
  if (!a.one.count("message")) d->no_message();
  for (const auto& h : msg.headers) d->header(h.name, h.value);
  d->end_of_headers();
  for (std::size_t off = 0; off < msg.body.size(); off += 65536)
    d->body(std::string_view(msg.body).substr(off, 65536));
  Outcome o = d->end_of_message(a.one.count("queue-id") ? a.one["queue-id"] : "");
  if (memory && !memory->flush(5)) std::cerr << "legit-milter check: memory: updates not written in 5 s\n";
  if (a.json) {
    print_json(o);
  } else {
    std::cout << "config: " << pr.config_source << "\n";
    print_human(o);
  }
  return 0;
}

}  // namespace legit
