// PgListener: the PostgreSQL store's OutboxWatch. One connection of its own, LISTENing on a
// channel that the store NOTIFYs in every transaction that makes a delivery due at once
// (PostgreSQL delivers a notification when its transaction commits, to every listener of
// the database, the notifier's own process included). A thread waits on the connection's
// socket and on a pipe that stops it; each batch of notifications calls `on_notify` once.
// When the connection breaks (the server restarted or failed over) the thread reconnects,
// LISTENs again and calls `on_notify` once, since notifications sent meanwhile are lost;
// it retries every few hundred milliseconds up to every 2 s while the server stays away, and
// logs only the changes (lost, back). Internal to src/storage.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "storage/pg_connection.h"
#include "storage/store.h"

namespace duplex::storage {

// The channel the store notifies when deliveries become due.
inline constexpr const char* kOutboxChannel = "duplex_outbox";

class PgListener final : public OutboxWatch {
 public:
  // Starts the thread; the first connection is made on it.
  PgListener(PgOptions options, std::string channel, std::function<void()> on_notify);
  // Stops the thread without waiting for the server: it returns as soon as the thread sees
  // the stop, whatever it was doing.
  ~PgListener() override;
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  enum class Ready { kSocket, kTimeout, kStop };
  using Deadline = std::chrono::steady_clock::time_point;

  void Run();
  // A connection LISTENing on the channel, or null (the reason in `error`) when the server
  // cannot be reached by the deadline or the listener is stopping.
  PGconn* Connect(std::string& error);
  bool Listen(PGconn* conn, Deadline deadline, std::string& error);
  // Waits until `fd` has `events`, the deadline passes (never, when nullopt) or Stop begins.
  Ready Wait(int fd, short events, const Deadline* deadline);

  const PgOptions options_;
  const std::string channel_;
  const std::function<void()> on_notify_;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace duplex::storage
