#include "app/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "app/connection_guard.h"
#include "core/log.h"
#include "core/text.h"

// cpp-httplib 0.11 keeps Server::process_and_close_socket private (and virtual). The guard
// overrides it to learn each connection's socket and must then run the library's own version,
// which C++ access rules do not let a subclass name. These declarations bind to the functions
// the shared library exports (Itanium ABI: `this` is the first argument), so another library
// version fails at link time rather than misbehaving at run time.
namespace duplex::httplib_abi {
bool ServeSocket(httplib::Server* self,
                 int sock) __asm__("_ZN7httplib6Server24process_and_close_socketEi");
bool ServeTlsSocket(httplib::SSLServer* self,
                    int sock) __asm__("_ZN7httplib9SSLServer24process_and_close_socketEi");
}  // namespace duplex::httplib_abi

namespace duplex {
namespace {

// The library's server with every connection passed through the guard.
class GuardedServer final : public httplib::Server {
 public:
  explicit GuardedServer(ConnectionGuard& guard) : guard_(guard) {}

 private:
  bool process_and_close_socket(int sock) override {
    return guard_.Serve(sock, [this, sock] { return httplib_abi::ServeSocket(this, sock); });
  }
  ConnectionGuard& guard_;
};

class GuardedTlsServer final : public httplib::SSLServer {
 public:
  GuardedTlsServer(ConnectionGuard& guard, const std::string& cert, const std::string& key)
      : httplib::SSLServer(cert.c_str(), key.c_str()), guard_(guard) {}

 private:
  bool process_and_close_socket(int sock) override {
    return guard_.Serve(sock, [this, sock] { return httplib_abi::ServeTlsSocket(this, sock); });
  }
  ConnectionGuard& guard_;
};

// What cpp-httplib calls its task queue: one task per accepted connection.
class GuardQueue final : public httplib::TaskQueue {
 public:
  explicit GuardQueue(ConnectionGuard& guard) : guard_(guard) {}
  void enqueue(std::function<void()> fn) override { guard_.Enqueue(std::move(fn)); }
  void shutdown() override { guard_.Shutdown(); }

 private:
  ConnectionGuard& guard_;
};

thread_local std::chrono::steady_clock::time_point t_request_start;
// The one label every path duplex does not serve shares, in logs and metrics, so that
// unknown paths can neither grow the metric nor put what a scanner typed into the logs.
constexpr const char* kUnknownPath = "unknown";
thread_local const char* t_endpoint = kUnknownPath;
// The Expect: 100-continue handler already let the current request through RefuseEarly.
thread_local bool t_admitted = false;

bool IsToken(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
  });
}

// A Content-Length value: decimal digits only (cpp-httplib's strtoull would also take "+5",
// "-1" or "5x"). Lengths too long to hold are saturated: they are over any limit anyway.
std::optional<std::uint64_t> ParseLength(const std::string& s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  if (s.size() > 18) return UINT64_MAX;
  return std::stoull(s);
}

InboundRequest ToInbound(const httplib::Request& req, std::string body, UnixMs now) {
  InboundRequest in;
  in.method = req.method;
  in.path = req.path;
  for (const auto& [k, v] : req.headers) in.headers.emplace_back(k, v);
  for (const auto& [k, v] : req.params) in.query.emplace_back(k, v);
  in.body = std::move(body);
  in.now = now;
  return in;
}

void WriteAnswer(const HttpAnswer& answer, httplib::Response& res) {
  res.status = answer.status;
  for (const auto& [k, v] : answer.headers) res.set_header(k, v);
  res.set_content(answer.body, answer.content_type);
}

void Serve(const HttpServer::Handler& handler, const httplib::Request& req, httplib::Response& res,
           std::string body, const Clock& clock) {
  ConnectionGuard::HandlerStarted();
  WriteAnswer(handler(ToInbound(req, std::move(body), clock.NowMs())), res);
}

// The connection carries no request after this one.
void CloseAfter(httplib::Response& res) {
  if (!res.has_header("Connection")) res.set_header("Connection", "close");
  ConnectionGuard::CloseAfterResponse();
}

void Refuse(httplib::Response& res, int status, const std::string& reason) {
  res.status = status;
  res.set_content("{\"error\":\"" + reason + "\"}", "application/json");
  // The body was not (wholly) read: the rest must never be read as another request.
  CloseAfter(res);
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, const Clock& clock, Metrics* metrics)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {
  ConnectionGuard::Options go;
  go.threads = options_.threads;
  go.max_queued = options_.max_queued_connections;
  go.request_timeout_ms = options_.request_timeout_s * 1000;
  go.max_request_bytes = options_.max_body_bytes + options_.max_header_bytes + 16 * 1024;
  go.answer_rejects = options_.tls_cert.empty();
  go.max_per_source = options_.max_connections_per_source;
  go.exempt = [this](const std::string& address) { return proxies_.Contains(address); };
  go.on_event = [metrics](const char* reason) {
    if (metrics) metrics->Inc("duplex_http_connections_refused_total", {{"reason", reason}});
  };
  guard_ = std::make_unique<ConnectionGuard>(std::move(go));
  if (options_.rate_limit.per_second > 0) {
    limiter_ = std::make_unique<security::SourceRateLimiter>(options_.rate_limit);
  }
  if (!options_.tls_cert.empty()) {
    server_ = std::make_unique<GuardedTlsServer>(*guard_, options_.tls_cert, options_.tls_key);
  } else {
    server_ = std::make_unique<GuardedServer>(*guard_);
  }
  auto& s = *server_;
  s.set_tcp_nodelay(true);
  // cpp-httplib's default sets SO_REUSEPORT, which lets a second duplex bind the same port
  // and silently share its traffic. SO_REUSEADDR alone still allows quick restarts.
  s.set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket_ = sock;
  });
  s.set_payload_max_length(static_cast<std::size_t>(options_.max_body_bytes));
  s.set_read_timeout(options_.read_timeout_s, 0);
  s.set_write_timeout(options_.write_timeout_s, 0);
  s.set_keep_alive_timeout(5);
  s.set_keep_alive_max_count(static_cast<std::size_t>(options_.keep_alive_max_requests));
  ConnectionGuard* guard = guard_.get();
  s.new_task_queue = [guard] { return new GuardQueue(*guard); };
  // cpp-httplib answers `Expect: 100-continue` before routing: refuse there, so a client
  // never sends a body it was told to send only to be refused.
  s.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (RefuseEarly(req, res)) return res.status;
    t_admitted = true;
    return 100;
  });
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (std::exchange(t_admitted, false)) return httplib::Server::HandlerResponse::Unhandled;
    return RefuseEarly(req, res) ? httplib::Server::HandlerResponse::Handled
                                 : httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    // cpp-httplib adds Keep-Alive to every answer unless the request asked to close.
    if (res.get_header_value("Connection") == "close") res.headers.erase("Keep-Alive");
  });
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::Error("handler threw", {{"method", req.method}, {"path", req.path}, {"error", what}});
        res.status = 500;
        res.set_content("{\"error\":\"internal error\"}", "application/json");
        CloseAfter(res);  // the body may be half read
      });
  s.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        // cpp-httplib's own answer: the request line or headers were bad, or the body could
        // not be read, so where the next request starts is unknown. Not so for 404: it comes
        // only for requests without a body (RefuseEarly refuses bodies no handler reads).
        if (res.status != 404) CloseAfter(res);
        const char* reason = res.status == 404   ? "not found"
                             : res.status == 413 ? "request body too large"
                             : res.status == 405 ? "method not allowed"
                             : res.status == 400 ? "bad request"
                             : res.status == 414 ? "request line too long"
                                                 : "error";
        res.set_content(std::string("{\"error\":\"") + reason + "\"}", "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    // cpp-httplib answers a bad request line or header without pre-routing: no stale label.
    const char* endpoint = std::exchange(t_endpoint, kUnknownPath);
    if (ConnectionGuard::Ended()) return;  // bytes after a closing answer: nobody hears this one
    ConnectionGuard::ResponseSent();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - t_request_start)
                  .count();
    log::Info("request", {{"method", req.method},
                          {"path", endpoint == kUnknownPath ? kUnknownPath : req.path.c_str()},
                          {"status", res.status},
                          {"ms", static_cast<double>(us / 100) / 10.0},
                          {"remote", req.remote_addr}});
    if (metrics_) {
      metrics_->Inc("duplex_http_requests_total",
                    {{"path", endpoint}, {"status", std::to_string(res.status)}});
    }
  });
}

HttpServer::~HttpServer() {
  Stop();
}

const char* HttpServer::AddRoute(const std::string& path, bool post) {
  auto it = routes_.try_emplace(path, false).first;
  it->second = it->second || post;
  return it->first.c_str();
}

bool HttpServer::RefuseEarly(const httplib::Request& req, httplib::Response& res) {
  t_request_start = std::chrono::steady_clock::now();
  auto route = routes_.find(req.path);
  t_endpoint = route != routes_.end() ? route->first.c_str() : kUnknownPath;
  if (ConnectionGuard::Ended()) {
    // Decrypted TLS bytes cpp-httplib held past a closing answer: never served, never heard.
    res.status = 400;
    return true;
  }
  std::size_t header_bytes = 0;
  for (const auto& [k, v] : req.headers) header_bytes += k.size() + v.size() + 4;
  if (req.headers.size() > static_cast<std::size_t>(options_.max_headers) ||
      header_bytes > static_cast<std::size_t>(options_.max_header_bytes)) {
    Refuse(res, 431, "too many or too large request headers");
    return true;
  }
  if (RefuseFraming(req, res)) return true;
  if (!limiter_ || !text::StartsWith(req.path, "/webhooks/")) return false;
  std::string forwarded;
  if (!proxies_.empty()) {
    auto range = req.headers.equal_range("X-Forwarded-For");
    for (auto it = range.first; it != range.second; ++it) {
      forwarded += (forwarded.empty() ? "" : ",") + it->second;
    }
  }
  const std::string client = proxies_.ClientAddress(req.remote_addr, forwarded);
  if (proxies_.Contains(client)) return false;  // the proxy's own requests
  auto decision = limiter_->Take(security::SourceKey(client), clock_.NowMs());
  if (decision.allowed) return false;
  t_endpoint = "/webhooks/*";
  Refuse(res, 429, "too many requests from this address");
  res.set_header("Retry-After", std::to_string((decision.retry_after_ms + 999) / 1000));
  log::Warn("webhook rate limit", {{"client", client}});
  return true;
}

// Framing cpp-httplib 0.11 would read differently from an RFC 9112 parser in front of duplex
// (a proxy), or read without a limit, is refused before the body: the differences are where
// request smuggling and decompression bombs live.
bool HttpServer::RefuseFraming(const httplib::Request& req, httplib::Response& res) {
  // "Transfer-Encoding : chunked" or a folded line would otherwise become a header nobody
  // reads, while a proxy may have read it as the framing.
  for (const auto& [name, value] : req.headers) {
    if (!IsToken(name)) {
      Refuse(res, 400, "malformed request header");
      return true;
    }
  }
  auto codings = req.headers.equal_range("Content-Encoding");
  for (auto it = codings.first; it != codings.second; ++it) {
    if (text::ToLowerAscii(it->second) != "identity") {
      Refuse(res, 415, "compressed request bodies are not accepted");
      return true;
    }
  }
  const std::size_t te = req.headers.count("Transfer-Encoding");
  const std::size_t cl = req.headers.count("Content-Length");
  const bool chunked =
      te == 1 && text::ToLowerAscii(req.get_header_value("Transfer-Encoding")) == "chunked";
  std::optional<std::uint64_t> length = 0;
  if (cl == 1) length = ParseLength(req.get_header_value("Content-Length"));
  // cpp-httplib reads a body only for these methods, DELETE only with a Content-Length.
  const std::string& m = req.method;
  const bool reads_body =
      m == "POST" || m == "PUT" || m == "PATCH" || m == "PRI" || (m == "DELETE" && cl == 1);
  const char* bad = te > 0 && !chunked ? "unsupported Transfer-Encoding"
                    : te > 0 && cl > 0 ? "Content-Length and Transfer-Encoding together"
                    : cl > 1           ? "more than one Content-Length"
                    : !length          ? "invalid Content-Length"
                                       : nullptr;
  const bool has_body = chunked || (length && *length > 0);
  if (!bad && has_body && !reads_body) bad = "unexpected request body";
  if (bad) {
    Refuse(res, 400, bad);
    return true;
  }
  if (reads_body && te == 0 && cl == 0) {  // cpp-httplib would read until the client closes
    Refuse(res, 411, "Content-Length required");
    return true;
  }
  if (*length > static_cast<std::uint64_t>(options_.max_body_bytes)) {
    Refuse(res, 413, "request body too large");
    return true;
  }
  // Without a handler cpp-httplib would read the body whole, however large, to answer 404.
  auto route = routes_.find(req.path);
  if (has_body && (m != "POST" || route == routes_.end() || !route->second)) {
    Refuse(res, 404, "not found");
    return true;
  }
  // cpp-httplib's chunk parser is lenient (a chunk not followed by CRLF ends the body), so
  // whatever follows a chunked body is never read as another request.
  if (chunked) CloseAfter(res);
  return false;
}

void HttpServer::Get(const std::string& path, Handler handler) {
  const char* label = AddRoute(path, false);
  server_->Get(path, [this, label, handler](const httplib::Request& req, httplib::Response& res) {
    t_endpoint = label;
    Serve(handler, req, res, {}, clock_);
  });
}

void HttpServer::Post(const std::string& path, Handler handler) {
  const char* label = AddRoute(path, true);
  const std::size_t limit = static_cast<std::size_t>(options_.max_body_bytes);
  server_->Post(
      path, [this, label, handler, limit](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
        t_endpoint = label;
        // cpp-httplib's plain reader would hand a multipart body to callbacks that are not set.
        if (req.is_multipart_form_data()) {
          Refuse(res, 415, "multipart bodies are not accepted");
          return;
        }
        std::string body;
        bool too_large = false;
        bool ok = reader([&](const char* data, std::size_t len) {
          if (body.size() + len > limit) {
            too_large = true;
            return false;
          }
          body.append(data, len);
          return true;
        });
        ConnectionGuard::HandlerStarted();  // the body is in: no request deadline from here on
        if (too_large) {
          Refuse(res, 413, "request body too large");
          return;
        }
        if (!ok) {
          Refuse(res, 400, "could not read the request body");
          return;
        }
        Serve(handler, req, res, std::move(body), clock_);
      });
}

Status HttpServer::Start() {
  if (!server_->is_valid()) return Status::Invalid("cannot load TLS certificate or key");
  auto proxies = security::TrustedProxies::Parse(options_.trusted_proxies);
  if (!proxies.ok())
    return Status::Invalid("listen.trusted_proxies: " + proxies.status().message());
  proxies_ = std::move(*proxies);
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Status::Unavailable("cannot bind " + options_.host);
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return Status::Unavailable("cannot listen on " + options_.host + ":" +
                                 std::to_string(options_.port) + " (in use, or not allowed)");
    }
    port_ = options_.port;
  }
  // cpp-httplib listens with a backlog of 5: a burst of connections would see dropped SYNs
  // and a second's wait. The guard answers what it cannot serve, so let the kernel queue more.
  if (listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace duplex
