#include "storage/pg_connection.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <unordered_map>
#include <utility>

#include "core/log.h"

#include "core/text.h"

namespace duplex::storage {
namespace {

std::string FirstLine(const char* message) {
  std::string m = message ? message : "";
  if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  return m;
}

// libpq's keyword and value arrays for `options`. `dbname` holds the whole URI
// (expand_dbname); the keys after it add to what it says.
class ConnectParams {
 public:
  explicit ConnectParams(const PgOptions& o) {
    const int keepalive_s = o.keepalive_idle_s + o.keepalive_interval_s * o.keepalive_count;
    pairs_ = {{"dbname", o.url},
              {"connect_timeout", std::to_string(o.connect_timeout_s)},
              // jit=off: the store's statements are short lookups, but the planner's
              // estimates for the claim query (a correlated NOT EXISTS over the outbox) pass
              // jit_above_cost, and PostgreSQL then compiled it on every claim pass:
              // measured, half a second of server CPU for a statement that runs in a tenth
              // of a millisecond.
              {"options", "-c statement_timeout=" + std::to_string(o.statement_timeout_ms) +
                              " -c client_min_messages=warning -c jit=off"},
              {"application_name", "duplex"},
              {"keepalives", "1"},
              {"keepalives_idle", std::to_string(o.keepalive_idle_s)},
              {"keepalives_interval", std::to_string(o.keepalive_interval_s)},
              {"keepalives_count", std::to_string(o.keepalive_count)},
              {"tcp_user_timeout", std::to_string(keepalive_s * 1000)}};
    for (const auto& [k, v] : pairs_) {
      keys_.push_back(k.c_str());
      values_.push_back(v.c_str());
    }
    keys_.push_back(nullptr);
    values_.push_back(nullptr);
  }
  const char* const* keys() const { return keys_.data(); }
  const char* const* values() const { return values_.data(); }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
  std::vector<const char*> keys_;
  std::vector<const char*> values_;
};

// A server that restarted or failed over closed its connections; one that sat idle in the
// pool still reads as open until libpq reads the socket. The server usually says why before
// it closes, so the second read reaches the close, which marks the connection broken.
bool StillOpen(PGconn* conn) {
  for (int i = 0; i < 2 && PQstatus(conn) == CONNECTION_OK; ++i) PQconsumeInput(conn);
  return PQstatus(conn) == CONNECTION_OK;
}

// The server's last words on a connection it ends (FATAL: terminating connection …) arrive
// while the connection is idle, where libpq hands them to the notice processor, whose
// default prints them raw on stderr. The log has them in its own format.
void LogNotice(void*, const char* message) {
  log::Debug("PostgreSQL notice", {{"message", FirstLine(message)}});
}

// The statements prepared on each open connection, by SQL text. A statement the store runs is
// parsed and planned once per connection, not on every call; the store's SQL is a fixed set,
// so the cache stays small (and past kMaxPrepared a new text simply runs unprepared). The
// entries of a connection are tied to its server session (the backend's pid): after a
// reconnect (server restart, failover), or a new connection that happens to reuse a closed
// one's address, the session is new and its statements are prepared again on first use.
class PreparedStatements {
 public:
  static constexpr std::size_t kMaxPrepared = 256;

  // The name `sql` has on `conn`; `fresh` when it must be prepared first; empty when the
  // connection holds as many as it may.
  std::string NameFor(PGconn* conn, const std::string& sql, bool& fresh) {
    const int session = PQbackendPID(conn);
    std::lock_guard lock(mu_);
    Session& s = by_conn_[conn];
    if (s.backend_pid != session) s = Session{session, {}};
    if (auto it = s.names.find(sql); it != s.names.end()) {
      fresh = false;
      return it->second;
    }
    if (s.names.size() >= kMaxPrepared) return "";
    fresh = true;
    std::string name = "duplex_" + std::to_string(s.names.size() + 1);
    s.names.emplace(sql, name);
    return name;
  }
  void Drop(PGconn* conn, const std::string& sql) {
    std::lock_guard lock(mu_);
    if (auto it = by_conn_.find(conn); it != by_conn_.end()) it->second.names.erase(sql);
  }
  // A connection about to be closed: its entries go with it.
  void Forget(PGconn* conn) {
    std::lock_guard lock(mu_);
    by_conn_.erase(conn);
  }

 private:
  struct Session {
    int backend_pid = 0;
    std::unordered_map<std::string, std::string> names;
  };
  std::mutex mu_;
  std::unordered_map<PGconn*, Session> by_conn_;
};

PreparedStatements& Prepared() {
  static PreparedStatements* prepared = new PreparedStatements();  // outlives every pool
  return *prepared;
}

// How long PgExec waits for an answer on each pool connection (PgAnswerTimeoutMs of its
// pool's options; 0 with statement_timeout 0, as migrate-store's); a connection not listed
// (the listener's) waits as long as libpq would.
class AnswerTimeouts {
 public:
  void Set(PGconn* conn, int ms) {
    std::lock_guard lock(mu_);
    by_conn_[conn] = ms;
  }
  int Get(PGconn* conn) {
    std::lock_guard lock(mu_);
    auto it = by_conn_.find(conn);
    return it == by_conn_.end() ? 0 : it->second;
  }
  void Forget(PGconn* conn) {
    std::lock_guard lock(mu_);
    by_conn_.erase(conn);
  }

 private:
  std::mutex mu_;
  std::unordered_map<PGconn*, int> by_conn_;
};

AnswerTimeouts& Timeouts() {
  static AnswerTimeouts* timeouts = new AnswerTimeouts();  // outlives every pool
  return *timeouts;
}

// Bytes OpenSSL has decrypted that libpq has not taken yet (a TLS record larger than the
// room left in libpq's buffer): the socket shows nothing for them, so they are taken before
// waiting on it, as libpq's own wait does.
bool TlsPending(PGconn* conn) {
  auto* ssl = static_cast<SSL*>(PQsslStruct(conn, "OpenSSL"));
  return ssl != nullptr && SSL_pending(ssl) > 0;
}

// Cuts `conn`: the socket is shut down, so libpq finds the connection broken (the pool resets
// it before it lends it again), and the server's half of the work ends with its session.
void Cut(PGconn* conn) {
  shutdown(PQsocket(conn), SHUT_RDWR);
  PQconsumeInput(conn);  // reads the shutdown: the connection is now CONNECTION_BAD
  while (PGresult* r = PQgetResult(conn)) PQclear(r);
}

// What was sent on `conn`, answered: as PQexec returns it (the first error, else the last
// result). With `timeout_ms` > 0, each result (each statement of a script) must come within
// `timeout_ms` of the one before, or the connection is cut and `timed_out` is set.
PgResult Await(PGconn* conn, int timeout_ms, bool& timed_out) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  PGresult* kept = nullptr;
  for (;;) {
    while (timeout_ms > 0 && PQisBusy(conn)) {
      if (TlsPending(conn)) {
        if (PQconsumeInput(conn) == 0) break;
        continue;
      }
      // Rounded up: a wait never ends before the deadline (a remainder under a millisecond
      // waits that millisecond, rather than giving up early).
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
              .count();
      if (left <= 0) {
        timed_out = true;
        Cut(conn);
        PQclear(kept);
        return PgResult(nullptr);
      }
      pollfd p{PQsocket(conn), POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) break;
      if (PQconsumeInput(conn) == 0) break;  // broken: PQgetResult reports it
    }
    PGresult* r = PQgetResult(conn);  // blocks only when no deadline is set
    if (r == nullptr) break;
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    const ExecStatusType st = PQresultStatus(r);
    const bool failed = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
    const bool kept_failed = kept != nullptr && PQresultStatus(kept) != PGRES_COMMAND_OK &&
                             PQresultStatus(kept) != PGRES_TUPLES_OK;
    if (kept_failed && !failed) {
      PQclear(r);
      continue;
    }
    PQclear(kept);
    kept = r;
    // A COPY would hand the connection to the caller; the store runs none through here
    // (migrate-store drives its COPY itself), and a pool connection left mid-COPY is cut
    // when it is given back (PgPool::Conn).
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) break;
  }
  return PgResult(kept);
}

// A parameter as PostgreSQL can take it: its text holds only valid UTF-8 and no NUL, and a
// parameter is a C string (a NUL would cut it short, silently). What it cannot hold becomes
// U+FFFD, as it does anyway when duplex sends it on (JSON is written that way): a customer's
// or a staff member's stray byte must not make a write fail for good.
std::string PgText(const std::string& value) {
  std::string out = text::SanitizeUtf8(value);
  for (std::size_t at = out.find('\0'); at != std::string::npos; at = out.find('\0', at)) {
    out.replace(at, 1, "\xEF\xBF\xBD");
  }
  return out;
}

}  // namespace

PGconn* PgConnectStart(const PgOptions& options) {
  const ConnectParams params(options);
  PGconn* conn = PQconnectStartParams(params.keys(), params.values(), /*expand_dbname=*/1);
  if (conn != nullptr) PQsetNoticeProcessor(conn, LogNotice, nullptr);
  return conn;
}

std::string PgConnError(PGconn* conn) {
  return FirstLine(PQerrorMessage(conn));
}

std::int64_t PgResult::Int(int row, int col) const {
  return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
}

int PgResult::Affected() const {
  return std::atoi(PQcmdTuples(r_.get()));
}

bool PgResult::ok() const {
  const ExecStatusType st = PQresultStatus(r_.get());
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

std::string PgResult::Error() const {
  return FirstLine(PQresultErrorMessage(r_.get()));
}

Result<PgResult> PgExec(PGconn* conn, const std::string& sql, const PgParams& params) {
  std::vector<std::string> texts;
  texts.reserve(params.size());
  for (const auto& p : params) texts.push_back(p ? PgText(*p) : std::string());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (std::size_t i = 0; i < params.size(); ++i)
    values.push_back(params[i] ? texts[i].c_str() : nullptr);
  const int n = static_cast<int>(values.size());
  const int timeout_ms = Timeouts().Get(conn);
  bool timed_out = false;
  // Each send, then its answer within the connection's answer timeout. A send that fails (the
  // connection is broken) leaves its error on the connection, as PQexec would.
  auto answer = [&](bool sent) {
    return sent ? Await(conn, timeout_ms, timed_out) : PgResult(nullptr);
  };
  auto result = [&]() -> PgResult {
    // Without parameters, the simple protocol: it also runs a script of several statements
    // (a schema step), which the extended protocol refuses.
    if (params.empty()) return answer(PQsendQuery(conn, sql.c_str()) == 1);
    bool fresh = false;
    const std::string name = Prepared().NameFor(conn, sql, fresh);
    if (name.empty()) {
      return answer(PQsendQueryParams(conn, sql.c_str(), n, nullptr, values.data(), nullptr,
                                      nullptr, 0) == 1);
    }
    if (fresh) {
      PgResult prepared = answer(PQsendPrepare(conn, name.c_str(), sql.c_str(), n, nullptr) == 1);
      if (!prepared.ok()) {
        Prepared().Drop(conn, sql);
        return prepared;
      }
    }
    return answer(PQsendQueryPrepared(conn, name.c_str(), n, values.data(), nullptr, nullptr, 0) ==
                  1);
  };
  PgResult r = result();
  if (timed_out) {
    return Status::Unavailable("PostgreSQL: no answer within " + std::to_string(timeout_ms) +
                               " ms; the connection was dropped");
  }
  if (!r.ok()) {
    std::string error = r.Error();
    if (error.empty()) error = PgConnError(conn);
    return Status::Unavailable("PostgreSQL: " + error);
  }
  return r;
}

Result<std::unique_ptr<PgPool>> PgPool::Open(const PgOptions& options) {
  std::unique_ptr<PgPool> pool(new PgPool(options));
  auto first = pool->Connect();
  if (!first.ok()) return first.status();
  std::lock_guard lock(pool->mu_);
  pool->idle_.push_back(*first);
  pool->open_ = 1;
  return pool;
}

int PgAnswerTimeoutMs(const PgOptions& options) {
  if (options.statement_timeout_ms <= 0) return 0;
  return options.statement_timeout_ms + std::max(1000, options.statement_timeout_ms / 2);
}

PgPool::~PgPool() {
  for (PGconn* c : idle_) {
    Prepared().Forget(c);
    Timeouts().Forget(c);
    PQfinish(c);
  }
}

Result<PGconn*> PgPool::Connect() const {
  const ConnectParams params(options_);
  PGconn* conn = PQconnectdbParams(params.keys(), params.values(), /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Unavailable("PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PgConnError(conn);
    PQfinish(conn);
    return Status::Unavailable("cannot connect to PostgreSQL: " + error);
  }
  PQsetNoticeProcessor(conn, LogNotice, nullptr);
  Timeouts().Set(conn, PgAnswerTimeoutMs(options_));
  return conn;
}

Result<PGconn*> PgPool::Reconnect(PGconn* conn) {
  const auto now = std::chrono::steady_clock::now();
  bool probe = false;
  {
    std::lock_guard lock(mu_);
    if (unreachable_) {
      if (probing_ || now < next_try_) {
        return Status::Unavailable("PostgreSQL unreachable: " + last_error_);
      }
      probing_ = probe = true;
    }
  }
  Result<PGconn*> out = conn;
  if (conn == nullptr) {
    out = Connect();
  } else {
    // The same parameters again; the notice processor stays. A new session, without the
    // statements prepared on the old one.
    Prepared().Forget(conn);
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
      out = Status::Unavailable("cannot reconnect to PostgreSQL: " + PgConnError(conn));
    }
  }
  std::lock_guard lock(mu_);
  if (probe) probing_ = false;
  if (out.ok()) {
    if (unreachable_) log::Info("database reachable again", {{"database", "postgresql"}});
    unreachable_ = false;
  } else {
    if (!unreachable_) {
      log::Warn("database unreachable; new connections are tried every " +
                    std::to_string(options_.retry_connect_ms) + " ms",
                {{"database", "postgresql"}, {"error", out.status().message()}});
    }
    unreachable_ = true;
    last_error_ = out.status().message();
    next_try_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.retry_connect_ms);
  }
  return out;
}

Result<PgPool::Conn> PgPool::Acquire() {
  PGconn* conn = nullptr;
  {
    std::unique_lock lock(mu_);
    free_cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.pool_size; });
    if (!idle_.empty()) {
      conn = idle_.back();
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  if (conn != nullptr && StillOpen(conn)) return Conn(this, conn);
  auto fresh = Reconnect(conn);
  if (!fresh.ok()) {
    if (conn != nullptr) {
      Release(conn);  // broken, kept for the next caller to reset
    } else {
      std::lock_guard lock(mu_);
      --open_;
      free_cv_.notify_one();
    }
    return fresh.status();
  }
  return Conn(this, *fresh);
}

void PgPool::Release(PGconn* conn) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(conn);
  }
  free_cv_.notify_one();
}

PgPool::Conn::~Conn() {
  if (conn_ == nullptr) return;
  // A connection still running a command (a COPY left open) cannot take the next caller's:
  // it is cut, and reset before it is lent again. A transaction left open by an error path is
  // rolled back before the next caller.
  if (PQstatus(conn_) == CONNECTION_OK &&
      (PQisBusy(conn_) != 0 || PQtransactionStatus(conn_) == PQTRANS_ACTIVE)) {
    Cut(conn_);
  } else if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    (void)PgExec(conn_, "ROLLBACK");
  }
  pool_->Release(conn_);
}

}  // namespace duplex::storage
