// log.h — where log lines go: syslog (LOG_MAIL) or stderr.
//
// log_open("auto") uses syslog when /dev/log exists, else stderr. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace legit {

enum class LogLevel { info, warning, error };

// mode: "auto" | "syslog" | "stderr". Returns false for an unknown mode.
bool log_open(std::string_view mode, const char* ident = "legit-milter");
void log_msg(LogLevel level, std::string_view line);

}  // namespace legit
