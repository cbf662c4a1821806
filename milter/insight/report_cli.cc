// report_cli.cc — `legit-milter report [FILE...]`: reads our log lines from
// files (plain or gzip: zlib reads both, so rotated mail.log.2.gz works),
// or stdin when no FILE or "-" is given (journalctl -o cat | legit-milter
// report), skips every line that is not ours, and prints the report (text,
// --json), optionally also writing --html FILE.
//
// Exit status: 0 report printed; 1 a file cannot be read or the HTML file
// cannot be written (the others are still read); 2 usage error.
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "report.h"

namespace legit::insight {
namespace {

constexpr const char* kUsage =
    "usage: legit-milter report [--since TIME] [--until TIME] [--json] [--html FILE] [--top N] [FILE...]\n"
    "  FILE      a mail log (plain or .gz); none or '-' = stdin (e.g. journalctl -o cat -t legit-milter)\n"
    "  --since, --until   2024-05-01, '2024-05-01 13:00' or 2024-05-01T13:00:00+02:00 (local time unless a zone is given)\n"
    "  --json    the report as JSON instead of text\n"
    "  --html FILE        also write one self-contained HTML page with charts\n"
    "  --top N   rows in each top table (default 10)\n";

int usage(const std::string& why) {
  std::cerr << "legit-milter report: " << why << "\n" << kUsage;
  return 2;
}

struct GzClose {
  void operator()(gzFile f) const { gzclose(f); }
};

// Feeds every line of one source to the report. false if it cannot be read.
bool read_source(const std::string& path, Report& report, const ParseContext& ctx) {
  gzFile raw = path == "-" ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path.c_str(), "rb");
  std::unique_ptr<gzFile_s, GzClose> f(raw);
  if (!f) return false;
  gzbuffer(f.get(), 1 << 16);
  std::string line;
  char buf[8192];
  while (gzgets(f.get(), buf, sizeof buf)) {
    std::size_t n = std::strlen(buf);  // gzgets terminates buf; a NUL inside cuts the piece: harmless
    line.append(buf, n);
    if (n > 0 && buf[n - 1] != '\n' && line.size() < (1u << 20)) continue;  // long line: read on
    report.add_line(line, ctx);
    line.clear();
  }
  if (!line.empty()) report.add_line(line, ctx);
  int err = 0;
  gzerror(f.get(), &err);
  return err == Z_OK || err == Z_STREAM_END;
}

}  // namespace

int run_report(int argc, char** argv) {
  Report report;
  std::vector<std::string> files;
  std::string html;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--since" || a == "--until") {
      const char* v = value(a.c_str());
      auto t = v ? parse_time(v) : std::nullopt;
      if (!t) return usage("option '" + a.substr(2) + "' needs a time like 2024-05-01 or '2024-05-01 13:00'");
      (a == "--since" ? report.opt.since : report.opt.until) = *t;
    } else if (a == "--html") {
      const char* v = value("html");
      if (!v || !*v) return usage("option 'html' needs a file name");
      html = v;
    } else if (a == "--top") {
      const char* v = value("top");
      char* end = nullptr;
      long n = v ? std::strtol(v, &end, 10) : 0;
      if (!v || *end || n < 1 || n > 1000) return usage("option 'top' needs a number from 1 to 1000");
      report.opt.top = static_cast<int>(n);
    } else if (a.size() > 1 && a[0] == '-') {
      return usage("unknown option '" + a + "'");
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) files.push_back("-");

  ParseContext ctx;
  ctx.now = std::time(nullptr);
  std::tm tm{};
  std::time_t now = static_cast<std::time_t>(ctx.now);
  localtime_r(&now, &tm);
  ctx.year = tm.tm_year + 1900;

  int rc = 0;
  for (const auto& f : files) {
    if (!read_source(f, report, ctx)) {
      std::cerr << "legit-milter report: cannot read " << (f == "-" ? "stdin" : f) << ": " << std::strerror(errno) << "\n";
      rc = 1;
    }
  }
  report.finish();
  std::cout << (json ? render_json(report) : render_text(report));
  if (!html.empty()) {
    std::ofstream out(html, std::ios::binary | std::ios::trunc);
    out << render_html(report);
    if (!out.flush()) {
      std::cerr << "legit-milter report: cannot write " << html << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace legit::insight
