// HttpServer: cpp-httplib set up the way duplex needs it — TCP_NODELAY on, a body limit,
// read/write timeouts, a sized thread pool, exceptions turned into a bare 500 (details only
// in the log), JSON error bodies, and one log line plus metrics per request.
// Handlers see an InboundRequest and return an HttpAnswer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "handlers/http_answer.h"
#include "platforms/platform.h"

namespace httplib {
class Server;
}

namespace duplex {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0: any free port
  std::int64_t max_body_bytes = 1 << 20;
  int threads = 64;
  int read_timeout_s = 10;
  int write_timeout_s = 10;
  // Requests served on one connection before it is closed (cpp-httplib's default is 5, which
  // makes a busy sender reconnect every 5 webhooks: bench/README.md). Idle connections still
  // close after the keep-alive timeout.
  int keep_alive_max_requests = 100;
  std::string tls_cert;
  std::string tls_key;
};

class HttpServer {
 public:
  using Handler = std::function<HttpAnswer(const InboundRequest&)>;

  HttpServer(HttpServerOptions options, const Clock& clock, Metrics* metrics);
  ~HttpServer();

  void Get(const std::string& path, Handler handler);
  // JSON bodies, read by cpp-httplib up to the body limit.
  void Post(const std::string& path, Handler handler);
  // Form bodies: read through a ContentReader with duplex's own limit (cpp-httplib would
  // refuse form bodies over 8 KiB before any handler runs).
  void PostForm(const std::string& path, Handler handler);

  // Binds and starts serving on a background thread.
  Status Start();
  int port() const { return port_; }
  // Stops accepting; requests in progress finish first.
  void Stop();

 private:
  HttpServerOptions options_;
  const Clock& clock_;
  Metrics* metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace duplex
