// FakeHttpServer: a real HTTP server on 127.0.0.1 (free port) standing in for Slack, a
// platform API or a reply receiver. It records every request and answers with a handler
// the test sets per path (default: 200 {}), so tests can script 429s, 500s and slow answers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/http_client.h"

namespace httplib {
class Server;
}

namespace duplex::test {

struct RecordedRequest {
  std::string method;
  std::string path;   // without the query
  HeaderList params;  // the query's, decoded
  HeaderList headers;
  std::string body;
  std::string Header(const std::string& name) const { return FindHeader(headers, name); }
  std::string Param(const std::string& name) const { return FindHeader(params, name); }
};

struct FakeAnswer {
  FakeAnswer(int status_ = 200, std::string body_ = "{}",
             std::string content_type_ = "application/json", HeaderList headers_ = {},
             int delay_ms_ = 0)
      : status(status_),
        body(std::move(body_)),
        content_type(std::move(content_type_)),
        headers(std::move(headers_)),
        delay_ms(delay_ms_) {}
  int status;
  std::string body;
  std::string content_type;
  HeaderList headers;
  int delay_ms;
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeAnswer(const RecordedRequest&)>;

  FakeHttpServer();
  // Serves HTTPS with this certificate and key (PEM files) instead of HTTP.
  FakeHttpServer(const std::string& tls_cert, const std::string& tls_key);
  ~FakeHttpServer();

  int port() const { return port_; }
  std::string url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }

  // Answers requests to `path` (exact) with `handler`.
  void On(const std::string& path, Handler handler);
  // Answers requests to every path that has no handler of its own.
  void OnAny(Handler handler);
  // The next `count` requests to `path` get `answer`, then the handler takes over again.
  void Script(const std::string& path, FakeAnswer answer, int count = 1);

  void ClearScripts();

  // The next `count` requests to `path` whose body contains `needle` are recorded and then
  // held open, unanswered, until ReleaseHeld() or the server stops: a remote that took the
  // request and hangs, for tests that kill the caller meanwhile. A released request is answered
  // 503 without reaching the path's handler or script (its caller is gone by then).
  void Hold(const std::string& path, const std::string& needle, int count = 1);
  // Requests held open right now.
  std::size_t Held() const;
  void ReleaseHeld();

  std::vector<RecordedRequest> Requests(const std::string& path = "") const;
  std::size_t Count(const std::string& path = "") const;
  bool WaitForCount(const std::string& path, std::size_t n, int timeout_ms = 5000) const;
  void Clear();

 private:
  FakeAnswer Answer(const RecordedRequest& r);
  void Listen();

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  std::map<std::string, Handler> handlers_;
  Handler fallback_;
  std::map<std::string, std::vector<FakeAnswer>> scripted_;
  struct HoldRule {
    std::string path;
    std::string needle;
    int count = 0;
  };
  std::vector<HoldRule> holds_;
  std::condition_variable held_cv_;
  std::size_t held_ = 0;
  std::uint64_t release_generation_ = 0;
  bool stopping_ = false;
};

}  // namespace duplex::test
