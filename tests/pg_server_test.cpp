// The throwaway PostgreSQL server the suite runs beside (scripts/with-postgres) is what the
// PostgreSQL tests assume: durable, reachable on loopback only, one fresh database per test.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <string>

#include "support/pg_test_db.h"
#include "support/test_util.h"

namespace duplex {
namespace {

std::string One(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  std::string v =
      PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "(error)";
  PQclear(r);
  return v;
}

}  // namespace

TEST_CASE("postgres test server: fsync on, loopback only, a fresh empty database per test") {
  if (test::SkipWithoutPostgres()) return;
  std::string first_name;
  {
    test::PgTestDatabase db;
    first_name = db.name();
    PGconn* conn = PQconnectdb(db.url().c_str());
    REQUIRE(PQstatus(conn) == CONNECTION_OK);
    CHECK(One(conn, "SHOW fsync") == "on");
    CHECK(One(conn, "SHOW listen_addresses") == "127.0.0.1");
    CHECK(One(conn, "SELECT current_database()") == db.name());
    CHECK(One(conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
    PQfinish(conn);
    test::PgTestDatabase other;
    CHECK(other.name() != db.name());
  }
  // Dropped with the object: the DROP is on its way, nothing waits for it.
  PGconn* conn = PQconnectdb(test::PgTestUrl()->c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  const std::string sql = "SELECT count(*) FROM pg_database WHERE datname = '" + first_name + "'";
  CHECK(test::WaitUntil([&] { return One(conn, sql.c_str()) == "0"; }, 10'000));
  PQfinish(conn);
}

}  // namespace duplex
