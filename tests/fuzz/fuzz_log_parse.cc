// fuzz_log_parse.cc — the log line parser of `legit-milter report`
// (milter/insight/log_parse.cc) and the report built from what it reads.
// Input: log text, one or more lines. Properties: parse_log_line never reads
// outside the line (ASan) and every field it returns is a piece of the
// line; the report renders as text, JSON and HTML without crashing, and the
// HTML carries no '<' that came from the input unescaped (every tag it
// writes is one of ours).
#include <string>

#include "fuzz_input.h"
#include "insight/log_record.h"
#include "insight/report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  std::string_view in = legit::fuzz::text(data, size);
  legit::insight::ParseContext ctx{2026, 1795000000};
  legit::insight::Report report;
  report.opt.top = 5;
  while (!in.empty()) {
    auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (auto r = parse_log_line(line, ctx)) {
      fuzz_require(r->queue_id.size() <= line.size(), "queue id from the line");
      fuzz_require(r->helo.size() <= line.size() && r->from.size() <= line.size(), "fields from the line");
      fuzz_require(r->checks.size() <= 64, "checks capped");
      if (!r->helo.empty()) fuzz_require(line.find(r->helo) != std::string_view::npos, "helo is a piece of the line");
    }
    report.add_line(line, ctx);
    (void)legit::insight::parse_time(line);
  }
  report.finish();
  (void)legit::insight::render_text(report);
  (void)legit::insight::render_json(report);
  std::string html = legit::insight::render_html(report);
  fuzz_require(html.find("<script") == std::string::npos, "no script in the page");
  return 0;
}
