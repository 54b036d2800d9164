#include "storage/pg_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace duplex::storage {
namespace {

// Waits between attempts to reach a server that went away, doubling up to the last.
constexpr std::chrono::milliseconds kFirstRetry{100};
constexpr std::chrono::milliseconds kLastRetry{2000};

}  // namespace

PgListener::PgListener(PgOptions options, std::string channel, std::function<void()> on_notify)
    : options_(std::move(options)), channel_(std::move(channel)), on_notify_(std::move(on_notify)) {
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    // Without the pipe there is no way to stop the thread: run without it. Workers still poll.
    log::Error("outbox listener not started; other instances' deliveries wait for a poll",
               {{"error", std::strerror(errno)}});
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

PgListener::~PgListener() {
  if (thread_.joinable()) {
    const char stop = 1;
    // The pipe is empty and only ever gets this byte: the write cannot block or fall short.
    [[maybe_unused]] const ssize_t written = write(stop_pipe_[1], &stop, 1);
    thread_.join();
  }
  for (int fd : stop_pipe_) {
    if (fd >= 0) close(fd);
  }
}

PgListener::Ready PgListener::Wait(int fd, short events, const Deadline* deadline) {
  for (;;) {
    pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {fd, events, 0}};
    int timeout_ms = -1;
    if (deadline != nullptr) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    const int n = poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    // The stop byte is never read, so once sent every later wait sees it too.
    if (n > 0 && fds[0].revents != 0) return Ready::kStop;
    if (n == 0) return Ready::kTimeout;
    return Ready::kSocket;  // ready, or a poll error libpq will find and report
  }
}

bool PgListener::Listen(PGconn* conn, Deadline deadline, std::string& error) {
  // In blocking mode PQsendQuery has sent the statement when it returns.
  if (!PQsendQuery(conn, ("LISTEN " + channel_).c_str())) {
    error = PgConnError(conn);
    return false;
  }
  bool ok = true;
  for (;;) {
    while (PQisBusy(conn)) {
      if (Wait(PQsocket(conn), POLLIN, &deadline) != Ready::kSocket) {
        error = "no answer to LISTEN in time";
        return false;
      }
      if (!PQconsumeInput(conn)) {
        error = PgConnError(conn);
        return false;
      }
    }
    PGresult* r = PQgetResult(conn);
    if (r == nullptr) break;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      ok = false;
      error = PQresultErrorMessage(r);
      if (auto nl = error.find('\n'); nl != std::string::npos) error.resize(nl);
    }
    PQclear(r);
  }
  return ok;
}

PGconn* PgListener::Connect(std::string& error) {
  // connect_timeout bounds the whole attempt, as it bounds the pool's blocking connect.
  const Deadline deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.connect_timeout_s);
  PGconn* conn = PgConnectStart(options_);
  if (conn == nullptr) {
    error = "out of memory";
    return nullptr;
  }
  // libpq's protocol: wait for the socket to be writable first, then as PQconnectPoll asks.
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    const Ready r = Wait(PQsocket(conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, &deadline);
    if (r != Ready::kSocket) {
      error = r == Ready::kTimeout ? "timeout expired" : "stopping";
      PQfinish(conn);
      return nullptr;
    }
    st = PQconnectPoll(conn);
  }
  if (st != PGRES_POLLING_OK || PQstatus(conn) != CONNECTION_OK) {
    error = PgConnError(conn);
    PQfinish(conn);
    return nullptr;
  }
  const Deadline listen_deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.statement_timeout_ms);
  if (!Listen(conn, listen_deadline, error)) {
    PQfinish(conn);
    return nullptr;
  }
  return conn;
}

void PgListener::Run() {
  auto retry = kFirstRetry;
  bool away = false;  // said that the database is out of reach; say when it is back
  for (;;) {
    std::string error;
    PGconn* conn = Connect(error);
    if (conn == nullptr) {
      if (!away) {
        log::Warn("outbox listener cannot reach the database; retrying",
                  {{"database", "postgresql"}, {"error", error}});
        away = true;
      }
      const Deadline next = std::chrono::steady_clock::now() + retry;
      if (Wait(-1, 0, &next) == Ready::kStop) return;
      retry = std::min(retry * 2, kLastRetry);
      continue;
    }
    if (away) log::Info("outbox listener reconnected", {{"database", "postgresql"}});
    away = false;
    retry = kFirstRetry;
    // Whatever was committed while nobody here listened.
    on_notify_();
    for (;;) {
      if (Wait(PQsocket(conn), POLLIN, nullptr) == Ready::kStop) {
        PQfinish(conn);
        return;
      }
      bool notified = false;
      if (PQconsumeInput(conn)) {
        while (PGnotify* n = PQnotifies(conn)) {
          notified = true;
          PQfreemem(n);
        }
      }
      if (notified) on_notify_();
      if (PQstatus(conn) != CONNECTION_OK) {
        log::Warn("outbox listener lost its database connection; reconnecting",
                  {{"database", "postgresql"}, {"error", PgConnError(conn)}});
        away = true;
        break;
      }
    }
    PQfinish(conn);
  }
}

}  // namespace duplex::storage
