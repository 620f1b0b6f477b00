#pragma once

// A small HTTP/1.1 server for the operational endpoints (/metrics, /livez, /readyz,
// /customers/{id}). GET only, one request per connection, served by one thread: these
// endpoints are scraped every few seconds, not hit by user traffic.
//
// Owned by the composition root. Handlers are registered before Start() and are then
// called from the server's thread, so they must be thread-safe.

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ops/status.h"

namespace ops {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called with the request path (without the query string).
using HttpHandler = std::function<HttpResponse(std::string_view path)>;

class HttpServer {
 public:
  HttpServer() = default;
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves `path` exactly, or every path under it when `path` ends in '/'.
  // REQUIRES: Start() has not been called.
  void Handle(std::string path, HttpHandler handler);

  // Binds `host:port` (port 0 picks a free one) and starts serving.
  Status Start(const std::string& host, int port);
  // The bound port. REQUIRES: Start() succeeded.
  int port() const { return port_; }
  // Stops serving and joins the thread. Idempotent.
  void Stop();

 private:
  void Serve();
  void HandleConnection(int fd) const;
  HttpResponse Dispatch(std::string_view method, std::string_view path) const;

  std::vector<std::pair<std::string, HttpHandler>> routes_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ops
