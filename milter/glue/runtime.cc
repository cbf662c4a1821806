// runtime.cc — the swapped snapshot of the live configuration (runtime.h).
#include "runtime.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <utility>

#include "legit/verdict.h"

namespace legit::glue {
namespace {

std::mutex g_mu;
// Never destroyed: libmilter threads may still hold connections when main
// returns, and the process ends right after.
std::shared_ptr<const Snapshot>* g_current = new std::shared_ptr<const Snapshot>;
std::atomic<Memory*> g_memory{nullptr};

std::string cut(std::string s) {
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s.empty() ? "\"\"" : s;
}

std::string text_of(const Config& c, const std::string& name) {
  if (auto it = c.values.find(name); it != c.values.end()) return it->second;
  if (auto it = c.numbers.find(name); it != c.numbers.end()) return format_points(it->second);
  if (auto it = c.lists.find(name); it != c.lists.end()) {
    std::string out;
    for (const auto& item : it->second) out += (out.empty() ? "" : " ") + item;
    return out;
  }
  return "";
}

}  // namespace

// Every field of ResolverOptions: a new option there must be compared here.
static bool same(const ResolverOptions& a, const ResolverOptions& b) {
  return a.servers == b.servers && a.timeout == b.timeout && a.cache_entries == b.cache_entries &&
         a.canaries == b.canaries && a.probe_interval == b.probe_interval;
}

std::shared_ptr<const Snapshot> make_snapshot(Config cfg, const Snapshot* previous,
                                              std::string* error) {
  auto s = std::make_shared<Snapshot>();
  s->config = std::move(cfg);
  ResolverOptions ropts = resolver_options(s->config);
  if (previous && same(ropts, resolver_options(previous->config))) {
    s->resolver = previous->resolver;
  } else {
    try {
      s->resolver = make_unbound_resolver(ropts);
    } catch (const std::exception& e) {
      *error = std::string("option 'dns-server': ") + e.what();
      return nullptr;
    }
  }
  s->engine = std::make_unique<Engine>(s->config, *s->resolver);
  s->engine->set_memory(g_memory);
  s->generation = previous ? previous->generation + 1 : 1;
  return s;
}

void set_process_memory(Memory* m) { g_memory = m; }

std::shared_ptr<const Snapshot> current_snapshot() {
  std::lock_guard<std::mutex> g(g_mu);
  return *g_current;
}

void publish_snapshot(std::shared_ptr<const Snapshot> s) {
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard<std::mutex> g(g_mu);
    old = std::exchange(*g_current, std::move(s));
  }
  // `old` is released here, outside the lock (its last user may be us).
}

std::vector<std::string> config_changes(const Config& before, const Config& after) {
  std::vector<std::string> out;
  for (const auto& spec : all_options()) {
    std::string a = text_of(before, spec.name), b = text_of(after, spec.name);
    if (a != b) out.push_back(spec.name + " (" + cut(a) + " -> " + cut(b) + ")");
  }
  return out;
}

std::vector<std::string> restart_only(const Config& before, const Config& after) {
  std::vector<std::string> out;
  for (const char* name : {"socket", "user", "log", "socket-mode", "socket-group", "idle-timeout"})
    if (text_of(before, name) != text_of(after, name)) out.push_back(name);
  return out;
}

}  // namespace legit::glue
