#include "storage/pg_connection.h"

#include <cstdlib>
#include <unordered_map>

namespace duplex::storage {
namespace {

// The statements prepared on each open connection, by SQL text. A statement the store runs is
// parsed and planned once per connection, not on every call; the store's SQL is a fixed set,
// so the cache stays small (and past kMaxPrepared a new text simply runs unprepared). A
// connection that is reset or closed forgets its statements, so after a reconnect (server
// restart, failover) they are prepared again on first use.
class PreparedStatements {
 public:
  static constexpr std::size_t kMaxPrepared = 256;

  // The name `sql` has on `conn`; `fresh` when it must be prepared first; empty when the
  // connection holds as many as it may.
  std::string NameFor(PGconn* conn, const std::string& sql, bool& fresh) {
    std::lock_guard lock(mu_);
    auto& names = by_conn_[conn];
    if (auto it = names.find(sql); it != names.end()) {
      fresh = false;
      return it->second;
    }
    if (names.size() >= kMaxPrepared) return "";
    fresh = true;
    std::string name = "duplex_" + std::to_string(names.size() + 1);
    names.emplace(sql, name);
    return name;
  }
  void Drop(PGconn* conn, const std::string& sql) {
    std::lock_guard lock(mu_);
    if (auto it = by_conn_.find(conn); it != by_conn_.end()) it->second.erase(sql);
  }
  void Forget(PGconn* conn) {
    std::lock_guard lock(mu_);
    by_conn_.erase(conn);
  }

 private:
  std::mutex mu_;
  std::unordered_map<PGconn*, std::unordered_map<std::string, std::string>> by_conn_;
};

PreparedStatements& Prepared() {
  static PreparedStatements* prepared = new PreparedStatements();  // outlives every pool
  return *prepared;
}

std::string FirstLine(const char* message) {
  std::string m = message ? message : "";
  if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  return m;
}

}  // namespace

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
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const int n = static_cast<int>(values.size());
  auto result = [&]() -> PgResult {
    // Without parameters, the simple protocol: it also runs a script of several statements
    // (a schema step), which the extended protocol refuses.
    if (params.empty()) return PgResult(PQexec(conn, sql.c_str()));
    bool fresh = false;
    const std::string name = Prepared().NameFor(conn, sql, fresh);
    if (name.empty()) {
      return PgResult(
          PQexecParams(conn, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0));
    }
    if (fresh) {
      PgResult prepared(PQprepare(conn, name.c_str(), sql.c_str(), n, nullptr));
      if (!prepared.ok()) {
        Prepared().Drop(conn, sql);
        return prepared;
      }
    }
    return PgResult(PQexecPrepared(conn, name.c_str(), n, values.data(), nullptr, nullptr, 0));
  };
  PgResult r = result();
  if (!r.ok()) {
    std::string error = r.Error();
    if (error.empty()) error = FirstLine(PQerrorMessage(conn));
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

PgPool::~PgPool() {
  for (PGconn* c : idle_) {
    Prepared().Forget(c);
    PQfinish(c);
  }
}

Result<PGconn*> PgPool::Connect() const {
  // expand_dbname: `dbname` holds the whole URI; the keys after it add to what it says.
  const std::string connect_timeout = std::to_string(options_.connect_timeout_s);
  // jit=off: the store's statements are short lookups, but the planner's estimates for the
  // claim query (a correlated NOT EXISTS over the outbox) pass jit_above_cost, and PostgreSQL
  // then compiled it on every claim pass: measured, half a second of server CPU for a
  // statement that runs in a tenth of a millisecond.
  const std::string server_options =
      "-c statement_timeout=" + std::to_string(options_.statement_timeout_ms) +
      " -c client_min_messages=warning -c jit=off";
  const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
  const char* values[] = {options_.url.c_str(), connect_timeout.c_str(), server_options.c_str(),
                          "duplex", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Unavailable("PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = FirstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("cannot connect to PostgreSQL: " + error);
  }
  return conn;
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
  if (conn == nullptr) {
    auto fresh = Connect();
    if (!fresh.ok()) {
      std::lock_guard lock(mu_);
      --open_;
      free_cv_.notify_one();
      return fresh.status();
    }
    conn = *fresh;
  } else if (PQstatus(conn) != CONNECTION_OK) {
    // Broken since it was last used: reconnect with the same parameters (a new session,
    // without the statements prepared on the old one).
    Prepared().Forget(conn);
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string error = FirstLine(PQerrorMessage(conn));
      Release(conn);
      return Status::Unavailable("cannot reconnect to PostgreSQL: " + error);
    }
  }
  return Conn(this, conn);
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
  // A transaction left open by an error path is rolled back before the next caller.
  if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    PQclear(PQexec(conn_, "ROLLBACK"));
  }
  pool_->Release(conn_);
}

}  // namespace duplex::storage
