// Internal to the PostgreSQL store: row readers, and running statements inside a store
// method, where any failure ends the method (PgGuarded turns it into Unavailable, and the
// connection's open transaction is rolled back when it goes back to the pool).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/models.h"
#include "core/status.h"
#include "storage/columns.h"
#include "storage/outbox.h"
#include "storage/pg_connection.h"

namespace duplex::storage {

struct PgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs one statement; throws PgError when it fails.
PgResult Q(PGconn* conn, const std::string& sql, const PgParams& params = {});

// Text parameters.
inline std::string P(std::int64_t v) {
  return std::to_string(v);
}
std::optional<std::string> P(const std::optional<std::int64_t>& v);
// A text[] literal for `= ANY($n::text[])`.
std::string TextArray(const std::vector<std::string>& values);

Conversation ReadConversation(const PgResult& r, int row);
StoredMessage ReadMessage(const PgResult& r, int row);
Delivery ReadDelivery(const PgResult& r, int row);

// Every public PgStore method runs its body through this: a connection from the pool, and a
// database failure logged and answered with Unavailable (the caller's 503).
template <typename F>
auto PgGuarded(PgPool& pool, const char* what, F&& body) -> decltype(body(nullptr)) {
  auto conn = pool.Acquire();
  if (!conn.ok()) {
    log::Error("database operation failed",
               {{"operation", what}, {"error", conn.status().message()}});
    return Status::Unavailable("database unavailable");
  }
  try {
    return body(conn->get());
  } catch (const std::exception& e) {
    log::Error("database operation failed", {{"operation", what}, {"error", e.what()}});
    return Status::Unavailable("database unavailable");
  }
}

// BEGIN now; ROLLBACK unless Commit() ran.
class PgTx {
 public:
  explicit PgTx(PGconn* conn) : conn_(conn) { Q(conn_, "BEGIN"); }
  ~PgTx() {
    if (!done_ && PQstatus(conn_) == CONNECTION_OK) (void)PgExec(conn_, "ROLLBACK");
  }
  PgTx(const PgTx&) = delete;
  PgTx& operator=(const PgTx&) = delete;
  void Commit() {
    Q(conn_, "COMMIT");
    done_ = true;
  }

 private:
  PGconn* conn_;
  bool done_ = false;
};

}  // namespace duplex::storage
