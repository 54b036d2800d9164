#include "storage/pg_connection.h"

#include <cstdlib>

#include "core/text.h"

namespace duplex::storage {
namespace {

std::string FirstLine(const char* message) {
  std::string m = message ? message : "";
  if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  return m;
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
  // Without parameters, the simple protocol: it also runs a script of several statements
  // (a schema step), which the extended protocol refuses.
  PgResult r(params.empty() ? PQexec(conn, sql.c_str())
                            : PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()),
                                           nullptr, values.data(), nullptr, nullptr, 0));
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
  for (PGconn* c : idle_) PQfinish(c);
}

Result<PGconn*> PgPool::Connect() const {
  // expand_dbname: `dbname` holds the whole URI; the keys after it add to what it says.
  const std::string connect_timeout = std::to_string(options_.connect_timeout_s);
  const std::string server_options =
      "-c statement_timeout=" + std::to_string(options_.statement_timeout_ms) +
      " -c client_min_messages=warning";
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
    // Broken since it was last used: reconnect with the same parameters.
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
