// log.cc — where log lines go (log.h): syslog(3) with facility LOG_MAIL, or
// stderr with a local ISO 8601 timestamp, the ident and the pid. "auto" picks
// syslog when /dev/log is a socket, else stderr (a container, a test run).
// Until log_open() is called, lines go to stderr.
//
// Thread-safe: the sink is an atomic, stderr lines are written whole under
// one mutex, syslog(3) is thread-safe itself. A line never carries a raw
// control character: CR, LF, NUL and the other C0 controls and DEL become
// "\xNN", and a line is cut at 4000 bytes. log_open() returns false for an
// unknown mode and leaves the sink unchanged. Call log_open() at start-up,
// before other threads log (it replaces the ident syslog keeps a pointer to).
#include "legit/log.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace legit {
namespace {

enum class Sink { stderr_, syslog_ };

std::atomic<Sink> g_sink{Sink::stderr_};
std::mutex g_stderr_mutex;
std::string g_ident = "legit-milter";  // written only by log_open, under g_stderr_mutex

constexpr std::size_t kMaxLine = 4000;

bool dev_log_is_socket() {
  struct stat st;
  return ::stat("/dev/log", &st) == 0 && S_ISSOCK(st.st_mode);
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

std::string clean(std::string_view line) {
  static const char* hex = "0123456789abcdef";
  if (line.size() <= kMaxLine && std::none_of(line.begin(), line.end(), is_control))
    return std::string(line);  // the common line: nothing to change
  std::string out;
  out.reserve(line.size() < kMaxLine ? line.size() : kMaxLine);
  for (char c : line) {
    if (out.size() >= kMaxLine) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (is_control(c)) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

const char* level_word(LogLevel level) {
  switch (level) {
    case LogLevel::warning: return "warning: ";
    case LogLevel::error: return "error: ";
    case LogLevel::info: break;
  }
  return "";
}

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::warning: return LOG_WARNING;
    case LogLevel::error: return LOG_ERR;
    case LogLevel::info: break;
  }
  return LOG_INFO;
}

// "2024-05-01T12:00:00.123+0200". Called with g_stderr_mutex held: the date
// and zone of the last second are kept under it (localtime_r and strftime
// cost more than the rest of a line; they depend on the second alone).
std::string timestamp() {
  static time_t s_second = -1;
  static char s_date[32], s_zone[8];
  struct timeval tv;
  ::gettimeofday(&tv, nullptr);
  if (tv.tv_sec != s_second) {
    struct tm tm;
    ::localtime_r(&tv.tv_sec, &tm);
    std::strftime(s_date, sizeof s_date, "%Y-%m-%dT%H:%M:%S", &tm);
    std::strftime(s_zone, sizeof s_zone, "%z", &tm);
    s_second = tv.tv_sec;
  }
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03d%s", s_date, static_cast<int>(tv.tv_usec / 1000), s_zone);
  return out;
}

}  // namespace

bool log_open(std::string_view mode, const char* ident) {
  bool use_syslog;
  if (mode == "syslog") use_syslog = true;
  else if (mode == "stderr") use_syslog = false;
  else if (mode == "auto") use_syslog = dev_log_is_socket();
  else return false;
  std::lock_guard<std::mutex> lock(g_stderr_mutex);
  g_ident = ident ? ident : "legit-milter";
  if (use_syslog) {
    // openlog keeps the pointer: g_ident lives as long as the program and is
    // not changed again without closelog first.
    ::closelog();
    ::openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
  }
  g_sink = use_syslog ? Sink::syslog_ : Sink::stderr_;
  return true;
}

void log_msg(LogLevel level, std::string_view line) {
  std::string text = clean(line);
  if (g_sink.load() == Sink::syslog_) {
    ::syslog(syslog_priority(level), "%s%s", level_word(level), text.c_str());
    return;
  }
  std::lock_guard<std::mutex> lock(g_stderr_mutex);
  std::string ts = timestamp();
  std::string out;
  out.reserve(ts.size() + g_ident.size() + text.size() + 32);
  out.append(ts).append(" ").append(g_ident).append("[").append(std::to_string(::getpid()));
  out.append("]: ").append(level_word(level)).append(text).append("\n");
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

}  // namespace legit
