// ConnectionGuard: what keeps cpp-httplib's thread-per-connection model standing under
// overload and against slow or oversized senders. HttpServer plugs it in as the server's task
// queue and around each connection's socket.
//
// Guarantees:
// - At most `threads` connections are served at once and at most `max_queued` wait for a
//   thread. A connection beyond that is answered at once, on the accepting thread, with a
//   bare `503` (plain HTTP; over TLS it is just closed), then closed after a short lingering
//   read so the client sees the answer rather than a reset. It is never leaked.
// - A request must arrive whole (headers and body, or the TLS handshake first) within
//   `request_timeout_ms` of the connection opening or of the previous answer on it; a sender
//   that trickles bytes is cut off then, whatever its pace. Handlers are never cut off.
// - A connection may bring at most `max_request_bytes` before its handler runs (counted by
//   the kernel, TLS included); past that it is cut off, so an endless header cannot grow.
// - One client address holds at most `max_per_source` connections at a time (further ones
//   get the same 503); addresses for which `exempt` is true (trusted proxies) have no cap.
// - A keep-alive connection idle between requests is closed when other connections are
//   waiting for a thread, and at shutdown.
// - A request answered after CloseAfterResponse is the last one read from its connection:
//   once the answer is written the client sees end of stream, cpp-httplib sees end of stream
//   on its descriptor (so no unread body byte is ever parsed as another request), and the
//   socket is drained briefly and closed like a rejected one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace duplex {

class ConnectionGuard {
 public:
  struct Options {
    int threads = 64;
    int max_queued = 64;
    int request_timeout_ms = 20'000;
    int idle_close_ms = 250;  // an idle keep-alive connection is closed after this if others wait
    std::int64_t max_request_bytes = 2 << 20;
    bool answer_rejects = true;  // false over TLS: a plain-text 503 would be garbage there
    int max_per_source = 32;     // 0: no cap
    std::function<bool(const std::string& address)> exempt;
    // Called with "overloaded", "timeout" or "too_large" when a connection is refused or cut.
    std::function<void(const char* reason)> on_event;
  };

  explicit ConnectionGuard(Options options);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // The task queue: `task` serves one accepted connection (it calls Serve).
  void Enqueue(std::function<void()> task);
  // Serves what is queued, closes idle keep-alive connections, joins the workers.
  void Shutdown();

  // Wraps the library's handling of one accepted socket (`process` reads, answers, closes).
  bool Serve(int sock, const std::function<bool()>& process);

  // Called on the connection's thread: its handler starts (no deadline while it runs) / its
  // answer was written (the next request's deadline starts).
  static void HandlerStarted();
  static void ResponseSent();
  // The current request's body is not (or not wholly) read: end the connection once the
  // answer is written (the client sees the answer, then end of stream).
  static void CloseAfterResponse();
  // True on a connection whose closing answer was already written. Only bytes cpp-httplib
  // had buffered before (decrypted TLS) can still look like a request there; refuse them.
  static bool Ended();

 private:
  struct Conn;
  void Work();
  void Watch();
  void Reject(int sock);
  // Reads and drops what the client still sends, then closes `sock` (watchdog; bounded).
  void Linger(int sock);
  // Counts the connection against its source; false if the source is at its cap.
  bool Admit(const std::string& source);
  void Event(const char* reason) const;

  const Options options_;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::function<void()>> queue_;
  int running_ = 0;
  bool shutting_down_ = false;
  std::vector<std::thread> workers_;

  std::mutex conns_mu_;
  std::list<Conn*> conns_;
  std::map<std::string, int> per_source_;
  std::vector<std::pair<int, std::int64_t>> lingering_;  // socket, close-by (steady ms)
  std::atomic<bool> stop_watch_{false};
  std::thread watchdog_;
};

}  // namespace duplex
