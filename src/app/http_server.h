// HttpServer: cpp-httplib set up the way duplex needs it — TCP_NODELAY on, a body limit,
// read/write timeouts, exceptions turned into a bare 500 (details only in the log), JSON error
// bodies, and one log line plus metrics per request. Handlers see an InboundRequest and
// return an HttpAnswer.
// Limits (docs/security.md): a bounded connection queue that answers 503 when full, a
// deadline for each request to arrive whole, a byte cap before the handler runs (all in
// ConnectionGuard), at most `max_headers` headers of `max_header_bytes` in all (431), and a
// token bucket per client address on /webhooks/ (429 with Retry-After).
// Before any body byte is read, a request is refused if its framing is not plain: a
// Content-Encoding other than identity (415: cpp-httplib would inflate it without a limit),
// Content-Length and Transfer-Encoding together, a transfer coding other than `chunked`,
// several or malformed Content-Length headers, a header name that is not a token, a body on a
// method cpp-httplib reads no body for (all 400), a body without a length (411), a declared
// length over `max_body_bytes` (413), a body for a path with no POST handler (404). Every
// refusal, and every error cpp-httplib answers itself other than 404, closes the connection,
// so no unread body byte is ever read as another request. A chunked request is answered and
// then the connection closed too (cpp-httplib's chunk parser is lenient: see the .cpp).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/http_types.h"
#include "core/metrics.h"
#include "core/status.h"
#include "handlers/http_answer.h"
#include "security/client_address.h"
#include "security/source_rate_limiter.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace duplex {

class ConnectionGuard;

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
  int max_queued_connections = 64;      // waiting for a thread; beyond: 503
  int request_timeout_s = 20;           // a request must arrive whole within this
  int max_connections_per_source = 32;  // per peer address (trusted proxies: no cap); 0: none
  int max_headers = 100;
  std::int64_t max_header_bytes = 32 * 1024;
  security::SourceLimit rate_limit{0, 0};  // per client address on /webhooks/; 0: none
  // Peers whose X-Forwarded-For is believed; their own requests and connections are not limited.
  std::vector<std::string> trusted_proxies;
};

class HttpServer {
 public:
  using Handler = std::function<HttpAnswer(const InboundRequest&)>;

  HttpServer(HttpServerOptions options, const Clock& clock, Metrics* metrics);
  ~HttpServer();

  // Paths are exact (no patterns). Routes are registered before Start.
  void Get(const std::string& path, Handler handler);
  // Bodies of any type, read through a ContentReader up to `max_body_bytes`; beyond it 413
  // and the connection is closed. (cpp-httplib itself would read a chunked body without a
  // limit, and refuse form bodies over 8 KiB.)
  void Post(const std::string& path, Handler handler);

  // Binds and starts serving on a background thread. Invalid if a trusted proxy entry is not
  // an address or network.
  Status Start();
  int port() const { return port_; }
  // Stops accepting; requests in progress finish first.
  void Stop();

 private:
  // The metrics label of a registered path: its entry in routes_, which never moves.
  const char* AddRoute(const std::string& path, bool post);
  // Runs once per request, after its headers and before any body byte is read: answers
  // 431/415/400/411/413/404/429 (connection closed); false lets the request through.
  bool RefuseEarly(const httplib::Request& req, httplib::Response& res);
  // The framing checks of RefuseEarly (header names, codings, lengths, where a body may go).
  bool RefuseFraming(const httplib::Request& req, httplib::Response& res);

  HttpServerOptions options_;
  const Clock& clock_;
  Metrics* metrics_;
  std::unique_ptr<ConnectionGuard> guard_;
  security::TrustedProxies proxies_;
  std::map<std::string, bool> routes_;  // path -> has a POST handler; read-only once serving
  std::unique_ptr<security::SourceRateLimiter> limiter_;
  std::unique_ptr<httplib::Server> server_;
  int listen_socket_ = -1;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace duplex
