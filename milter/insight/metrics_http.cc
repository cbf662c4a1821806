// metrics_http.cc — civetweb behind metrics_http.h. The library is
// initialised once per process (mg_init_library); the server context is
// owned by MetricsServer (mg_stop in the destructor), a client connection by
// a unique_ptr with mg_close_connection.
#include "metrics_http.h"

#include <arpa/inet.h>

#include <civetweb.h>

#include <cstring>
#include <mutex>

#include "legit/log.h"
#include "metrics.h"

namespace legit::insight {
namespace {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

std::string civet_address(const ListenAddress& at) {
  std::string host = at.v6 ? "[" + at.host + "]" : at.host;
  return host + ":" + std::to_string(at.port);
}

int serve_metrics(mg_connection* conn, void*) {
  const mg_request_info* ri = mg_get_request_info(conn);
  bool head = ri && ri->request_method && std::strcmp(ri->request_method, "HEAD") == 0;
  if (!ri || !ri->request_method || (!head && std::strcmp(ri->request_method, "GET") != 0)) {
    mg_send_http_error(conn, 405, "%s", "only GET /metrics\n");
    return 405;
  }
  std::string body = render_metrics();
  mg_send_http_ok(conn, "text/plain; version=0.0.4; charset=utf-8", static_cast<long long>(body.size()));
  if (!head) mg_write(conn, body.data(), body.size());
  return 200;
}

int log_civetweb(const mg_connection*, const char* message) {
  log_msg(LogLevel::warning, std::string("metrics endpoint: ") + (message ? message : "?"));
  return 1;  // handled: civetweb prints nothing itself
}

struct CloseConn {
  void operator()(mg_connection* c) const { mg_close_connection(c); }
};

}  // namespace

std::optional<ListenAddress> parse_metrics_listen(const std::string& spec) {
  std::string_view s = spec;
  ListenAddress at;
  if (s.starts_with("inet6:")) at.v6 = true, s.remove_prefix(6);
  else if (s.starts_with("inet:")) s.remove_prefix(5);
  else return std::nullopt;
  auto sep = s.find('@');
  if (sep == std::string_view::npos || sep == 0 || sep > 5) return std::nullopt;
  for (char c : s.substr(0, sep))
    if (c < '0' || c > '9') return std::nullopt;
  at.port = std::stoi(std::string(s.substr(0, sep)));
  at.host = std::string(s.substr(sep + 1));
  unsigned char buf[16];
  if (at.port < 1 || at.port > 65535 || inet_pton(at.v6 ? AF_INET6 : AF_INET, at.host.c_str(), buf) != 1)
    return std::nullopt;
  return at;
}

std::unique_ptr<MetricsServer> MetricsServer::start(const ListenAddress& at, std::string* error) {
  init_library();
  std::string ports = civet_address(at);
  const char* options[] = {"listening_ports", ports.c_str(), "num_threads", "2",
                           "request_timeout_ms", "10000", "enable_keep_alive", "no", nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = log_civetweb;
  mg_context* ctx = mg_start(&callbacks, nullptr, options);
  if (!ctx) {
    if (error) *error = "cannot listen on " + ports + " (in use, or no permission?)";
    return nullptr;
  }
  mg_set_request_handler(ctx, "/metrics$", serve_metrics, nullptr);
  return std::unique_ptr<MetricsServer>(new MetricsServer(ctx));
}

MetricsServer::~MetricsServer() { mg_stop(ctx_); }

std::optional<std::string> fetch_metrics(const ListenAddress& at, int timeout_ms, std::string* error) {
  init_library();
  char ebuf[256] = "";
  std::unique_ptr<mg_connection, CloseConn> conn(
      mg_connect_client(at.host.c_str(), at.port, 0, ebuf, sizeof ebuf));
  std::string where = "http://" + civet_address(at) + "/metrics";
  if (!conn) {
    if (error) *error = where + ": " + (ebuf[0] ? ebuf : "cannot connect");
    return std::nullopt;
  }
  mg_printf(conn.get(), "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", civet_address(at).c_str());
  if (mg_get_response(conn.get(), ebuf, sizeof ebuf, timeout_ms) < 0) {
    if (error) *error = where + ": " + (ebuf[0] ? ebuf : "no response");
    return std::nullopt;
  }
  const mg_response_info* ri = mg_get_response_info(conn.get());
  if (!ri || ri->status_code != 200) {
    if (error) *error = where + ": HTTP status " + std::to_string(ri ? ri->status_code : 0);
    return std::nullopt;
  }
  std::string body;
  char chunk[8192];
  for (int n; (n = mg_read(conn.get(), chunk, sizeof chunk)) > 0;) {
    body.append(chunk, static_cast<std::size_t>(n));
    if (body.size() > (64u << 20)) break;  // not ours
  }
  return body;
}

}  // namespace legit::insight
