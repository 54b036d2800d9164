// PostgreSQL connections for the PostgreSQL store, on libpq's C API (docs/postgresql.md says
// why not libpqxx). Internal to src/storage: no libpq type leaves the storage layer.
//
// PgPool is small and simple: a mutex-guarded set of PGconn*, opened on demand up to `size`.
// Every connection has connect_timeout, statement_timeout and TCP keepalives set, so no
// thread of duplex waits forever on a dead server, even one that vanished without closing
// its connections; and a caller waits for an answer at most statement_timeout plus a margin
// (PgAnswerTimeoutMs), so a server that still holds the connection open but no longer answers
// (stopped, or stalled on its disk) cannot hang it either: past that the connection is cut,
// the call fails with Unavailable, and the pool reconnects. A connection found broken (the server
// restarted, failed over, or ended it) is reset before it is lent again: one the server closed
// while it sat idle is noticed when it is lent, so its caller runs on a fresh one; a call whose
// connection breaks under it fails with Unavailable (its transaction did not commit, or its outcome
// is unknown). While the server cannot be reached, a new connection is tried at most every
// `retry_connect_ms` by one caller; the others fail at once rather than each wait out
// connect_timeout.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace duplex::storage {

struct PgOptions {
  std::string url;                    // a libpq connection URI: postgresql://user:pass@host/db
  int connect_timeout_s = 5;          // libpq's connect_timeout
  int statement_timeout_ms = 10'000;  // the server ends a statement running longer
  int pool_size = 4;
  // TCP keepalives: a server gone without closing the connection (its host lost, the network
  // cut) is noticed after about idle + interval × count seconds; sent data unacknowledged
  // that long ends the connection too (tcp_user_timeout).
  int keepalive_idle_s = 10;
  int keepalive_interval_s = 3;
  int keepalive_count = 3;
  int retry_connect_ms = 250;  // see PgPool
};

// How long a caller of PgExec on a pool connection waits for the server's answer:
// statement_timeout plus half of it (at least a second), so the server's own timeout always
// speaks first when the server can speak. 0 (no limit) when statement_timeout is 0.
int PgAnswerTimeoutMs(const PgOptions& options);

// Starts connecting with `options`' parameters without waiting (PQconnectStartParams): the
// caller drives it with PQconnectPoll. Null when libpq is out of memory.
PGconn* PgConnectStart(const PgOptions& options);

// The first line of libpq's message about `conn`, without parameters or passwords.
std::string PgConnError(PGconn* conn);

// A query's result, freed with it.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  int Rows() const { return PQntuples(r_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string Text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  std::int64_t Int(int row, int col) const;
  // Rows an INSERT/UPDATE/DELETE changed.
  int Affected() const;
  // PGRES_COMMAND_OK or PGRES_TUPLES_OK when the statement ran.
  bool ok() const;
  std::string Error() const;

 private:
  std::shared_ptr<PGresult> r_;
};

using PgParams = std::vector<std::optional<std::string>>;  // nullopt is NULL

// Runs `sql` with text parameters ($1, $2, ...), as a statement prepared once per connection
// (prepared again after a reconnect); without parameters `sql` may hold several statements.
// A parameter's bytes that are not UTF-8, and its NULs, go in as U+FFFD. A server error or a
// broken connection is Unavailable with the server's message (no parameters in it).
Result<PgResult> PgExec(PGconn* conn, const std::string& sql, const PgParams& params = {});

class PgPool {
 public:
  // Connects once, so a wrong URL, password or unreachable server is reported now.
  static Result<std::unique_ptr<PgPool>> Open(const PgOptions& options);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // A connection lent to one caller, given back when this goes away.
  class Conn {
   public:
    Conn(PgPool* pool, PGconn* conn) : pool_(pool), conn_(conn) {}
    Conn(Conn&& other) noexcept : pool_(other.pool_), conn_(other.conn_) { other.conn_ = nullptr; }
    Conn& operator=(Conn&&) = delete;
    ~Conn();
    PGconn* get() const { return conn_; }

   private:
    PgPool* pool_;
    PGconn* conn_;
  };

  // Waits for a free connection (or opens one); resets one that is broken. Unavailable when
  // the server cannot be reached.
  Result<Conn> Acquire();

  const PgOptions& options() const { return options_; }

 private:
  explicit PgPool(PgOptions options) : options_(std::move(options)) {}
  Result<PGconn*> Connect() const;
  // Opens `conn` anew (or a new one when it is null), unless the server was unreachable a
  // moment ago (see retry_connect_ms); logs when the server becomes unreachable or comes back.
  Result<PGconn*> Reconnect(PGconn* conn);
  void Release(PGconn* conn);

  const PgOptions options_;
  std::mutex mu_;
  std::condition_variable free_cv_;
  std::vector<PGconn*> idle_;
  int open_ = 0;
  // The last connection attempt failed: at most one caller tries again, not before next_try_.
  bool unreachable_ = false;
  bool probing_ = false;
  std::chrono::steady_clock::time_point next_try_;
  std::string last_error_;
};

}  // namespace duplex::storage
