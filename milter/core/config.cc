// config.cc — turns option values into a Config: every value checked against
// its OptionSpec (kind, choices, check), defaults filled in, the typed core
// fields derived; plus all_options(), config_from() and the accessors.
//
// Bad values never throw: build_config()/config_from() return nullopt with
// an error naming the option, the value and why ("option 'reject-below':
// 'abc' is not a number"). The accessors throw std::logic_error for a name
// the Config does not hold (a programming error, not bad input).
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "config_detail.h"
#include "legit/check.h"
#include "names.h"

namespace legit {
namespace detail {

std::optional<double> parse_number(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  std::string l = lower(s);
  if (l == "yes" || l == "true" || l == "on" || l == "1") return true;
  if (l == "no" || l == "false" || l == "off" || l == "0") return false;
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == ',') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string quote_value(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (char c : s.substr(0, 100)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  if (s.size() > 100) out += "...";
  return out;
}

std::string format_number(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::to_string(v);
}

const OptionSpec* find_spec(const std::vector<OptionSpec>& specs, std::string_view name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<Given> effective(const OptionSpec& spec, const GivenMap& given) {
  std::vector<Given> vals;
  auto it = given.find(spec.name);
  if (it != given.end() && !it->second.empty())
    vals = it->second;
  else
    vals = {Given{spec.def, ""}};
  if (spec.kind != OptKind::list) return {vals.back()};
  std::vector<Given> items;
  for (const auto& g : vals)
    for (auto& item : split_list(g.text)) items.push_back({std::move(item), g.where});
  return items;
}

static std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Why `text` does not fit the spec's kind and choices, or "".
static std::string kind_reason(const OptionSpec& spec, const std::string& text, std::string* norm) {
  switch (spec.kind) {
    case OptKind::number:
      return parse_number(text) ? "" : "is not a number";
    case OptKind::boolean: {
      auto b = parse_bool(text);
      if (!b) return "is not a boolean (yes/no, true/false, on/off, 1/0)";
      if (norm) *norm = *b ? "yes" : "no";
      return "";
    }
    case OptKind::choice:
      for (const auto& c : spec.choices)
        if (c == text) return "";
      return "is not one of: " + join(spec.choices, ", ");
    case OptKind::string:
    case OptKind::list:
      break;
  }
  return "";
}

std::string check_value(const OptionSpec& spec, const Given& g, std::string* normalized) {
  if (normalized) *normalized = g.text;
  std::string why = kind_reason(spec, g.text, normalized);
  if (why.empty() && spec.check) why = spec.check(g.text);
  if (why.empty()) return "";
  std::string msg = "option '" + spec.name + "': '" + quote_value(g.text) + "' " + why;
  if (!g.where.empty()) msg += " (" + g.where + ")";
  return msg;
}

static std::string system_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// Derives the typed core fields from the generic maps; false + *error when
// the values disagree with each other.
static bool fill_typed(Config& c, const GivenMap& given, std::string* error) {
  c.socket = c.values.at("socket");
  c.dns_servers = c.lists.at("dns-server");
  c.dns_timeout = c.numbers.at("dns-timeout");
  if (c.values.at("hostname").empty()) c.values["hostname"] = system_hostname();
  c.hostname = c.values.at("hostname");
  if (c.values.at("authserv-id").empty()) c.values["authserv-id"] = c.hostname;
  c.authserv_id = c.values.at("authserv-id");
  c.mode = c.values.at("mode") == "dry-run" ? Mode::dry_run : Mode::enforce;
  c.quarantine_below = c.numbers.at("quarantine-below");
  c.reject_below = c.numbers.at("reject-below");
  c.reject_reply = c.values.at("reject-reply");
  c.skip_authenticated = c.values.at("skip-authenticated") == "yes";
  c.on_error = c.values.at("on-error") == "tempfail" ? OnError::tempfail : OnError::accept;
  c.user = c.values.at("user");
  c.log = c.values.at("log");
  std::string bad;
  auto nets = parse_networks(c.lists.at("trusted-networks"), &bad);
  if (!nets) {  // each item was checked already; kept for safety
    *error = "option 'trusted-networks': '" + quote_value(bad) + "' is not a network";
    return false;
  }
  c.trusted_networks = std::move(*nets);
  if (c.reject_below > c.quarantine_below) {
    auto it = given.find("reject-below");
    std::string where = it == given.end() || it->second.back().where.empty()
                            ? std::string()
                            : " (" + it->second.back().where + ")";
    *error = "option 'reject-below': " + format_number(c.reject_below) +
             " must not be above option 'quarantine-below' (" + format_number(c.quarantine_below) +
             ")" + where;
    return false;
  }
  return true;
}

std::optional<Config> build_config(const std::vector<OptionSpec>& specs, const GivenMap& given,
                                   std::string* error) {
  std::string err;
  if (!error) error = &err;
  Config c;
  for (const auto& spec : specs) {
    std::vector<std::string> items;
    for (const auto& g : effective(spec, given)) {
      std::string norm;
      std::string why = check_value(spec, g, &norm);
      if (!why.empty()) {
        *error = why;
        return std::nullopt;
      }
      items.push_back(std::move(norm));
    }
    if (spec.kind == OptKind::list) {
      c.lists[spec.name] = std::move(items);
    } else if (spec.kind == OptKind::number) {
      double v = *parse_number(items.at(0));
      c.numbers[spec.name] = v;
      if (spec.name.compare(0, kPointsPrefix.size(), kPointsPrefix) == 0)
        c.point_table[spec.name.substr(kPointsPrefix.size())] = v;
    } else {
      c.values[spec.name] = std::move(items.at(0));
    }
  }
  if (!fill_typed(c, given, error)) return std::nullopt;
  return c;
}

}  // namespace detail

std::vector<OptionSpec> all_options() {
  std::vector<OptionSpec> all = core_options();
  for (const auto& check : check_registry())
    for (const auto& o : check.options) all.push_back(o);
  for (const auto& check : check_registry())
    for (const auto& row : check.points)
      all.push_back({detail::points_name(check.name, row.result), OptKind::number,
                     detail::format_number(row.points), row.why});
  return all;
}

std::optional<Config> config_from(const std::map<std::string, std::string>& overrides,
                                  std::string* error) {
  auto specs = all_options();
  detail::GivenMap given;
  for (const auto& [name, value] : overrides) {
    if (!detail::find_spec(specs, name)) {
      if (error) *error = "unknown option '" + detail::quote_value(name) + "'";
      return std::nullopt;
    }
    given[name].push_back({value, ""});
  }
  return detail::build_config(specs, given, error);
}

template <class Map>
static const typename Map::mapped_type& lookup(const Map& m, const std::string& name,
                                               const char* what) {
  auto it = m.find(name);
  if (it == m.end())
    throw std::logic_error(std::string("Config::") + what + ": no such option '" + name + "'");
  return it->second;
}

const std::string& Config::str(const std::string& name) const {
  return lookup(values, name, "str");
}

double Config::num(const std::string& name) const { return lookup(numbers, name, "num"); }

bool Config::flag(const std::string& name) const {
  auto b = detail::parse_bool(lookup(values, name, "flag"));
  if (!b) throw std::logic_error("Config::flag: option '" + name + "' is not a boolean");
  return *b;
}

const std::vector<std::string>& Config::list(const std::string& name) const {
  return lookup(lists, name, "list");
}

double Config::points(std::string_view check, std::string_view result) const {
  std::string key;
  key.reserve(check.size() + result.size() + 1);
  key.append(check).append(".").append(result);
  auto it = point_table.find(key);
  return it == point_table.end() ? 0 : it->second;
}

}  // namespace legit
