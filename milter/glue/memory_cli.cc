// memory_cli.cc — `legit-milter memory show|forget` and how the milter and
// `check` open the memory (memory_cli.h). Keys: milter/memory/keys.h.
#include "memory_cli.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "../core/names.h"
#include "../memory/keys.h"
#include "legit/domain.h"
#include "legit/log.h"

namespace legit {
namespace {

std::string iso(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The key prefixes a target stands for, with a label for each; "" = bad target.
std::vector<std::pair<std::string, std::string>> prefixes_of(const std::string& target, Memory& m,
                                                             std::string* err) {
  std::vector<std::pair<std::string, std::string>> out;
  if (auto at = target.rfind('@'); at != std::string::npos) {
    std::string buf;
    std::string h = m.hash(mkeys::address(target, buf));
    if (h.empty()) {
      *err = "the site secret is not available (store down?)";
      return {};
    }
    out = {{"c:a:" + h, "our users wrote to " + target},
           {"c:s:" + h, target + " sent mail through us"},
           {mkeys::triplet_index(h), "greylisting triplets of " + target}};
    return out;
  }
  std::string text = target;
  if (auto slash = text.find('/'); slash != std::string::npos) text = text.substr(0, slash);
  if (auto ip = IpAddress::parse(text)) {
    std::string net = mkeys::network_of(ip->unmapped());
    return {{"h:n:" + net + ":", "history of " + net},
            {"g:n:" + net, "greylisting passes of " + net},
            {mkeys::triplet_index(net), "greylisting triplets of " + net}};
  }
  std::string dom = registrable_domain(dns_domain(text));  // a UTF-8 domain by its A-labels, as recorded
  if (dom.empty()) {
    *err = "'" + target + "' is not an address, IP, network or domain";
    return {};
  }
  return {{"h:d:" + dom + ":", "history of " + dom}, {"g:d:" + dom, "greylisting passes of " + dom}};
}

// Forgets the greylisting triplets (g:t:, g:ok:) an index prefix g:i:OWNER:
// lists, then the index entries; the number of records erased in *n.
bool forget_indexed(Memory& m, const std::string& index, std::size_t* n) {
  *n = 0;
  std::vector<std::pair<std::string, Record>> entries;
  if (!m.store().scan(index, m.now(), 10000000, entries)) return false;
  std::vector<std::string> keys;
  for (const auto& e : entries) {
    std::string_view triplet = std::string_view(e.first).substr(index.size());
    keys.push_back(std::string(mkeys::kTriplet).append(triplet));
    keys.push_back(std::string(mkeys::kTripletOk).append(triplet));
  }
  std::size_t k = 0;
  bool ok = m.store().erase_keys(keys, n) && m.store().erase_prefix(index, &k);
  *n += k;
  return ok;
}

int usage(const std::string& why) {
  std::cerr << "legit-milter memory: " << why
            << "\nusage: legit-milter memory show [ADDRESS|IP|NETWORK|DOMAIN] [-c FILE] [options]\n"
               "       legit-milter memory forget ADDRESS|IP|NETWORK|DOMAIN [-c FILE] [options]\n";
  return 2;
}

int show_summary(Memory& m) {
  std::vector<std::pair<std::string, Record>> all;
  if (!m.store().scan("", m.now(), 100000000, all)) {
    std::cerr << "legit-milter memory: " << m.describe() << " failed\n";
    return 1;
  }
  std::map<std::string, std::size_t> kinds;
  for (const auto& [key, rec] : all) kinds[key.substr(0, key.find(':', 2) + 1)]++;
  std::cout << m.describe() << ": " << all.size() << " records\n";
  for (const auto& [k, n] : kinds) std::cout << "  " << k << "  " << n << "\n";
  return 0;
}

}  // namespace

int run_memory(int argc, char** argv) {
  if (argc < 2) return usage("show or forget?");
  std::string verb = argv[1];
  if (verb == "--help" || verb == "-h") {
    std::cout << "legit-milter memory: what the sender memory holds (memory = lmdb:... or redis://...)\n"
                 "usage: legit-milter memory show [ADDRESS|IP|NETWORK|DOMAIN] [-c FILE] [options]\n"
                 "       legit-milter memory forget ADDRESS|IP|NETWORK|DOMAIN [-c FILE] [options]\n"
                 "show without a target counts the records by kind; forget erases every record\n"
                 "of an address, IP, network or domain, the greylisting triplets (open or\n"
                 "passed) that the address (as sender or recipient) or the network is part of\n"
                 "included. Options as for the milter (--help).\n";
    return 0;
  }
  if (verb != "show" && verb != "forget") return usage("unknown command '" + verb + "'");
  std::string target;
  std::vector<const char*> rest{argv[0]};
  int first = 2;
  if (argc > 2 && argv[2][0] != '-') target = argv[first++];  // TARGET right after the verb
  for (int i = first; i < argc; ++i) rest.push_back(argv[i]);
  if (verb == "forget" && target.empty()) return usage("forget what?");
  ParseResult pr = parse_config(static_cast<int>(rest.size()), rest.data());
  if (pr.show_help) {
    usage("help");
    return 0;
  }
  if (!pr.config) return usage(pr.error);
  std::string why;
  auto m = open_memory(*pr.config, verb == "forget", &why);
  if (!m) {
    std::cerr << "legit-milter memory: " << (why.empty() ? "memory = none" : why) << "\n";
    return 1;
  }
  if (target.empty()) return show_summary(*m);
  std::string err;
  auto prefixes = prefixes_of(target, *m, &err);
  if (prefixes.empty()) return usage(err);
  int rc = 0;
  for (const auto& [prefix, label] : prefixes) {
    if (verb == "forget") {
      std::size_t n = 0;
      bool indexed = prefix.rfind(mkeys::kTripletIndex, 0) == 0;
      if (!(indexed ? forget_indexed(*m, prefix, &n) : m->store().erase_prefix(prefix, &n))) rc = 1;
      std::cout << label << ": " << n << " records forgotten\n";
      continue;
    }
    std::vector<std::pair<std::string, Record>> recs;
    if (!m->store().scan(prefix, m->now(), 1000, recs)) rc = 1;
    std::cout << label << ": " << (recs.empty() ? "nothing remembered" : "") << "\n";
    for (const auto& [key, r] : recs) {
      char count[32];
      std::snprintf(count, sizeof count, "%.2f", r.count);
      std::cout << "  " << key << "  count=" << count << " first=" << iso(r.first) << " last=" << iso(r.last)
                << "\n";
    }
  }
  if (rc) std::cerr << "legit-milter memory: " << m->describe() << " failed\n";
  return rc;
}

std::unique_ptr<Memory> open_check_memory(const Config& cfg, bool record) {
  std::string why;
  auto m = open_memory(cfg, record, &why);
  const std::string& spec = cfg.str("memory");
  struct stat st {};
  bool missing_file = !record && spec.rfind("lmdb:", 0) == 0 && stat(spec.c_str() + 5, &st) != 0;
  if (!m && !why.empty() && !missing_file)
    std::cerr << "legit-milter check: memory: " << why << "; checking without memory\n";
  return m;
}

namespace glue {
Memory* open_process_memory(const Config& cfg) {
  std::string why;
  auto m = open_memory(cfg, true, &why, true);
  if (!m && !why.empty())
    log_msg(LogLevel::error, "memory: cannot open " + why +
                                 "; running without memory (no history, correspondents or "
                                 "greylisting), mail flows");
  else if (m)
    log_msg(LogLevel::info, "memory: " + m->describe());
  return m.release();
}
}  // namespace glue

}  // namespace legit
