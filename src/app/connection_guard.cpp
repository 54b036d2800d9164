#include "app/connection_guard.h"

#include <fcntl.h>
#include <linux/tcp.h>  // tcp_info with tcpi_bytes_received (glibc's copy predates it)
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstddef>

#include "security/client_address.h"

namespace duplex {
namespace {

using SteadyMs = std::int64_t;

SteadyMs Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Bytes the kernel has received on a TCP socket since it opened; 0 if it cannot tell.
std::uint64_t BytesReceived(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  if (len < offsetof(tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) return 0;
  return info.tcpi_bytes_received;
}

constexpr char kOverloaded[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 39\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"error\":\"overloaded, try again later\"}";
static_assert(sizeof("{\"error\":\"overloaded, try again later\"}") - 1 == 39);

// Ends a connection now, from any thread, while another thread may be reading it: shutdown()
// alone lets a sender that keeps sending keep the reader busy (Linux still delivers data after
// SHUT_RD), so the connection is reset in place (connect(AF_UNSPEC) is tcp_disconnect): queued
// data is dropped, the peer gets a reset and the reader an error.
void Abort(int fd) {
  linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  (void)connect(fd, &unspec, sizeof unspec);
  shutdown(fd, SHUT_RDWR);
}

constexpr std::size_t kMaxLingering = 1024;
constexpr SteadyMs kLingerMs = 1000;
constexpr int kWatchIntervalMs = 100;

thread_local bool t_rejecting = false;

// Points descriptor `fd` at a stream that is already at its end, so whoever reads `fd` next
// sees end of stream; the socket it referred to stays open through its other descriptors.
bool DetachAtEnd(int fd) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return false;
  close(pair[1]);
  const bool ok = dup3(pair[0], fd, O_CLOEXEC) >= 0;
  close(pair[0]);
  return ok;
}

std::string PeerAddress(int sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, buf, sizeof buf);
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

struct ConnectionGuard::Conn {
  enum class Phase { kReading, kHandling, kIdle };
  ConnectionGuard* guard = nullptr;
  int sock = -1;      // cpp-httplib's descriptor
  int watch_fd = -1;  // a duplicate: the socket stays valid for shutdown() until Serve ends
  Phase phase = Phase::kReading;
  SteadyMs phase_since = 0;
  SteadyMs deadline = 0;
  std::uint64_t bytes_baseline = 0;
  bool cut = false;
  // Set and read on the connection's own thread only.
  bool close_after_response = false;
  bool ended = false;     // the closing answer was written
  bool detached = false;  // `sock` now reads end of stream; the socket lives on in watch_fd
};

namespace {
thread_local void* t_conn = nullptr;  // the ConnectionGuard::Conn this thread serves
}  // namespace

ConnectionGuard::ConnectionGuard(Options options) : options_(std::move(options)) {
  workers_.reserve(static_cast<std::size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { Work(); });
  watchdog_ = std::thread([this] { Watch(); });
}

ConnectionGuard::~ConnectionGuard() {
  Shutdown();
  stop_watch_ = true;
  watchdog_.join();
  for (auto& [fd, by] : lingering_) close(fd);
}

void ConnectionGuard::Event(const char* reason) const {
  if (options_.on_event) options_.on_event(reason);
}

void ConnectionGuard::Enqueue(std::function<void()> task) {
  {
    std::lock_guard lock(queue_mu_);
    const std::size_t capacity =
        static_cast<std::size_t>(options_.threads) + static_cast<std::size_t>(options_.max_queued);
    if (!shutting_down_ && static_cast<std::size_t>(running_) + queue_.size() < capacity) {
      queue_.push_back(std::move(task));
      queue_cv_.notify_one();
      return;
    }
  }
  // Full: the task runs here, on the accepting thread, and Serve answers 503 without reading.
  t_rejecting = true;
  task();
  t_rejecting = false;
}

void ConnectionGuard::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return shutting_down_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task();
    std::lock_guard lock(queue_mu_);
    --running_;
  }
}

void ConnectionGuard::Shutdown() {
  {
    std::lock_guard lock(queue_mu_);
    shutting_down_ = true;
  }
  queue_cv_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
}

bool ConnectionGuard::Serve(int sock, const std::function<bool()>& process) {
  if (t_rejecting) {
    Reject(sock);
    return false;
  }
  std::string source;
  if (options_.max_per_source > 0) {
    const std::string peer = PeerAddress(sock);
    if (!peer.empty() && !(options_.exempt && options_.exempt(peer))) {
      source = security::SourceKey(peer);
      if (!Admit(source)) {
        Reject(sock);
        return false;
      }
    }
  }
  auto release = [this, &source] {
    if (source.empty()) return;
    std::lock_guard lock(conns_mu_);
    if (--per_source_[source] <= 0) per_source_.erase(source);
  };
  Conn conn;
  conn.guard = this;
  conn.sock = sock;
  conn.watch_fd = fcntl(sock, F_DUPFD_CLOEXEC, 0);
  if (conn.watch_fd < 0) {  // out of descriptors: as overloaded as it gets
    release();
    Reject(sock);
    return false;
  }
  conn.phase_since = Now();
  conn.deadline = conn.phase_since + options_.request_timeout_ms;
  conn.bytes_baseline = BytesReceived(sock);
  std::list<Conn*>::iterator it;
  {
    std::lock_guard lock(conns_mu_);
    it = conns_.insert(conns_.end(), &conn);
  }
  t_conn = &conn;
  const bool ok = process();
  t_conn = nullptr;
  {
    std::lock_guard lock(conns_mu_);
    conns_.erase(it);
  }
  if (conn.detached) {
    Linger(conn.watch_fd);  // still open: the client may be sending the rest of its body
  } else {
    close(conn.watch_fd);
  }
  release();
  return ok;
}

bool ConnectionGuard::Admit(const std::string& source) {
  std::lock_guard lock(conns_mu_);
  int& count = per_source_[source];
  if (count >= options_.max_per_source) return false;
  ++count;
  return true;
}

void ConnectionGuard::Reject(int sock) {
  if (options_.answer_rejects) {
    (void)send(sock, kOverloaded, sizeof kOverloaded - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  shutdown(sock, SHUT_WR);
  Linger(sock);
  Event("overloaded");
}

void ConnectionGuard::Linger(int sock) {
  {
    std::lock_guard lock(conns_mu_);
    if (lingering_.size() < kMaxLingering) {
      lingering_.emplace_back(sock, Now() + kLingerMs);
      return;
    }
  }
  close(sock);
}

void ConnectionGuard::HandlerStarted() {
  auto* conn = static_cast<Conn*>(t_conn);
  if (conn == nullptr) return;
  std::lock_guard lock(conn->guard->conns_mu_);
  conn->phase = Conn::Phase::kHandling;
}

void ConnectionGuard::CloseAfterResponse() {
  auto* conn = static_cast<Conn*>(t_conn);
  if (conn != nullptr) conn->close_after_response = true;
}

bool ConnectionGuard::Ended() {
  auto* conn = static_cast<Conn*>(t_conn);
  return conn != nullptr && conn->ended;
}

void ConnectionGuard::ResponseSent() {
  auto* conn = static_cast<Conn*>(t_conn);
  if (conn == nullptr) return;
  if (conn->close_after_response && !conn->ended) {
    // The answer is in the socket's send queue: end of stream follows it. cpp-httplib's next
    // read then ends the connection instead of parsing the unread body as a request. Without
    // a spare descriptor it falls back to its next write failing.
    shutdown(conn->watch_fd, SHUT_WR);
    conn->ended = true;
    conn->detached = DetachAtEnd(conn->sock);
  }
  const std::uint64_t bytes = BytesReceived(conn->watch_fd);
  std::lock_guard lock(conn->guard->conns_mu_);
  conn->phase = Conn::Phase::kIdle;
  conn->phase_since = Now();
  conn->deadline = conn->phase_since + conn->guard->options_.request_timeout_ms;
  conn->bytes_baseline = bytes;
}

void ConnectionGuard::Watch() {
  std::vector<pollfd> fds;
  char scratch[4096];
  while (!stop_watch_) {
    fds.clear();
    {
      std::lock_guard lock(conns_mu_);
      for (const auto& [fd, by] : lingering_) fds.push_back({fd, POLLIN, 0});
    }
    poll(fds.data(), fds.size(), kWatchIntervalMs);
    int waiting_now = 0;
    bool shutting = false;
    {
      std::lock_guard lock(queue_mu_);
      waiting_now = static_cast<int>(queue_.size());
      shutting = shutting_down_;
    }
    const SteadyMs now = Now();
    std::lock_guard lock(conns_mu_);
    // Rejected and ended connections: read and drop what the client sends until it closes, so
    // closing never resets the connection before the client has read its answer.
    for (std::size_t i = 0; i < lingering_.size();) {
      auto& [fd, by] = lingering_[i];
      bool done = now >= by;
      while (!done) {
        ssize_t n = recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n > 0) continue;
        done = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
        break;
      }
      if (done) {
        close(fd);
        lingering_[i] = lingering_.back();
        lingering_.pop_back();
      } else {
        ++i;
      }
    }
    for (Conn* c : conns_) {
      if (c->cut || c->phase == Conn::Phase::kHandling) continue;
      const std::uint64_t total = BytesReceived(c->watch_fd);
      const std::uint64_t received = total > c->bytes_baseline ? total - c->bytes_baseline : 0;
      const bool quiet = received == 0;  // no request on its way
      const char* reason = nullptr;
      bool cut = false;
      if (now >= c->deadline) {
        cut = true;
        reason = "timeout";
      } else if (options_.max_request_bytes > 0 &&
                 received > static_cast<std::uint64_t>(options_.max_request_bytes)) {
        cut = true;
        reason = "too_large";
      } else if (quiet && shutting) {
        cut = true;
      } else if (quiet && c->phase == Conn::Phase::kIdle && waiting_now > 0 &&
                 now - c->phase_since >= options_.idle_close_ms) {
        cut = true;
      }
      if (!cut) continue;
      if (reason) {
        Abort(c->watch_fd);
      } else {
        shutdown(c->watch_fd, SHUT_RDWR);  // a quiet connection: a polite end of stream
      }
      c->cut = true;
      if (reason) Event(reason);
    }
  }
}

}  // namespace duplex
