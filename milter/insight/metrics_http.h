// metrics_http.h — the `/metrics` endpoint (civetweb serves it; no HTTP
// code of ours) and the client `legit-milter stats` uses to read it.
//
// metrics-listen takes the milter's socket syntax restricted to TCP with an
// address literal: "inet:PORT@IPv4" or "inet6:PORT@IPv6". Only GET/HEAD
// /metrics answers (200, text/plain; version=0.0.4); civetweb answers 404
// for every other path, serves no files and runs two worker threads.
// civetweb's own complaints go to our log as warnings.
#pragma once

#include <memory>
#include <optional>
#include <string>

struct mg_context;  // civetweb's, opaque here

namespace legit::insight {

struct ListenAddress {
  std::string host;  // IP literal
  int port = 0;
  bool v6 = false;
};

// nullopt unless `spec` is inet:PORT@IPv4 or inet6:PORT@IPv6 (the option
// table in milter/core/options.cc checks the same form at parse time).
std::optional<ListenAddress> parse_metrics_listen(const std::string& spec);

class MetricsServer {
 public:
  // Starts serving; nullptr with *error set when the port cannot be bound.
  static std::unique_ptr<MetricsServer> start(const ListenAddress& at, std::string* error);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

 private:
  explicit MetricsServer(::mg_context* ctx) : ctx_(ctx) {}
  ::mg_context* ctx_;
};

// GET http://at/metrics with a timeout; the body, or nullopt with *error set.
std::optional<std::string> fetch_metrics(const ListenAddress& at, int timeout_ms, std::string* error);

}  // namespace legit::insight
