// Choosing the store from the config's `database` (storage/open_store.h).
#include <doctest/doctest.h>

#include "storage/open_store.h"
#include "storage/pg_store.h"
#include "storage/sqlite_store.h"
#include "support/pg_test_db.h"
#include "support/test_util.h"

namespace duplex {

TEST_CASE("database: postgresql:// and postgres:// select PostgreSQL, anything else SQLite") {
  CHECK(storage::IsPostgresUrl("postgresql://u@h/db"));
  CHECK(storage::IsPostgresUrl("postgres://u@h/db"));
  CHECK_FALSE(storage::IsPostgresUrl("duplex.db"));
  CHECK_FALSE(storage::IsPostgresUrl("/var/lib/duplex/postgresql://x"));
  test::TempDir dir;
  auto sqlite = storage::OpenStore(dir.File("d.db"), "FULL");
  REQUIRE(sqlite.ok());
  CHECK(dynamic_cast<SqliteStore*>(sqlite->get()) != nullptr);
}

TEST_CASE("database: the password is masked for printing, wherever the URL holds it") {
  using storage::MaskDatabasePassword;
  CHECK(MaskDatabasePassword("postgresql://duplex:s3cret@db:5432/duplex?sslmode=verify-full") ==
        "postgresql://duplex:***@db:5432/duplex?sslmode=verify-full");
  CHECK(MaskDatabasePassword("postgres://duplex@db/duplex?password=s3cret&sslmode=require") ==
        "postgres://duplex@db/duplex?password=***&sslmode=require");
  CHECK(MaskDatabasePassword("postgres://duplex@db/duplex") == "postgres://duplex@db/duplex");
  CHECK(MaskDatabasePassword("postgresql://u:p%40ss@h/d") == "postgresql://u:***@h/d");
  CHECK(MaskDatabasePassword("duplex.db") == "duplex.db");
}

TEST_CASE("database: a PostgreSQL URL opens the PostgreSQL store") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store = storage::OpenStore(db.url(), "FULL");
  REQUIRE_MESSAGE(store.ok(), store.status().message());
  CHECK(dynamic_cast<PgStore*>(store->get()) != nullptr);
  CHECK((*store)->Ping().ok());
}

}  // namespace duplex
