#include "support/pg_test_db.h"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "storage/pg_connection.h"
#include "storage/pg_store.h"

namespace duplex::test {
namespace {

PGconn* AdminConnection() {
  PGconn* conn = PQconnectdb(PgTestUrl()->c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("test PostgreSQL: " + error);
  }
  return conn;
}

// Runs one statement on the server's maintenance connection (the URL's own database).
void Admin(const std::string& sql) {
  PGconn* conn = AdminConnection();
  PGresult* r = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string error = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("test PostgreSQL: " + sql + ": " + error);
}

// Sends one statement and hangs up without waiting for it: the server reads the statement
// before the goodbye, so it runs to the end all the same.
void AdminWithoutWaiting(const std::string& sql) {
  PGconn* conn = AdminConnection();
  bool sent = PQsendQuery(conn, sql.c_str()) == 1;
  while (sent && PQflush(conn) == 1) {
  }
  std::string error = sent ? "" : PQerrorMessage(conn);
  PQfinish(conn);
  if (!sent) throw std::runtime_error("test PostgreSQL: " + sql + ": " + error);
}

// The URL with its database (the path after the authority) replaced by `database`.
std::string WithDatabase(const std::string& url, const std::string& database) {
  const std::size_t authority = url.find("://");
  const std::size_t path = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  const std::size_t query = url.find('?', path == std::string::npos ? 0 : path);
  std::string base = url.substr(0, path == std::string::npos ? query : path);
  return base + "/" + database + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace

std::optional<std::string> PgTestUrl() {
  const char* url = std::getenv("DUPLEX_TEST_PG_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

bool SkipWithoutPostgres() {
  if (PgTestUrl()) return false;
  std::printf(
      "DUPLEX-PG-SKIP: DUPLEX_TEST_PG_URL is unset, PostgreSQL test skipped "
      "(run the suite with scripts/test or scripts/with-postgres)\n");
  return true;
}

PgTestDatabase::PgTestDatabase() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  name_ = "duplex_t_" + std::to_string(rd() % 1000000000u) + "_" + std::to_string(++counter);
  Admin("CREATE DATABASE " + name_);
  url_ = WithDatabase(*PgTestUrl(), name_);
}

PgTestDatabase::~PgTestDatabase() {
  // DROP DATABASE waits for a checkpoint (most of a second with fsync on), which would add
  // that to every PostgreSQL test; nothing waits for the database to be gone.
  try {
    AdminWithoutWaiting("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
  }
}

std::unique_ptr<PgStore> OpenPgStore(const std::string& url) {
  PgStoreOptions o;
  o.connection.url = url;
  auto s = PgStore::Open(o);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(*s);
}

std::string PgQuery(const std::string& url, const std::string& sql) {
  storage::PgOptions o;
  o.url = url;
  auto pool = storage::PgPool::Open(o);
  REQUIRE_MESSAGE(pool.ok(), pool.status().message());
  auto conn = (*pool)->Acquire();
  REQUIRE(conn.ok());
  auto r = storage::PgExec(conn->get(), sql);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r->Rows() > 0 ? r->Text(0, 0) : "";
}

}  // namespace duplex::test
