// The store the e2e suite runs on. tests/CMakeLists.txt registers every e2e test twice: as
// "e2e:…" on SQLite, and as "e2e-pg:…" with DUPLEX_E2E_STORE=postgres, where the database of
// each duplex under test is a PostgreSQL database of its own on the test server
// (support/pg_test_db.h; without DUPLEX_TEST_PG_URL the whole run is skipped, tests/support/
// main.cpp). A test that needs SQLite itself says so, and why, with SkipOnPostgres: that call
// is the list of what the PostgreSQL run leaves out (grep -rn SkipOnPostgres tests/e2e).
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"
#include "support/pg_test_db.h"
#include "support/test_util.h"

namespace duplex::test {

// Whether this run's store is PostgreSQL (DUPLEX_E2E_STORE=postgres).
bool E2eOnPostgres();

// On the PostgreSQL run, prints the line ctest reports as a skip, with `reason`, and returns
// true: `if (test::SkipOnPostgres("reads duplex.db with SQLiteCpp")) return;`.
bool SkipOnPostgres(const char* reason);

// For an e2e test that runs on PostgreSQL by itself (databases of its own on the test
// server): skipped without that server, and in the PostgreSQL run, which would only repeat
// it. `if (test::SkipUnlessPostgresOwnTest()) return;`
bool SkipUnlessPostgresOwnTest();

// The database of one duplex under test: `dir`/`file` on SQLite; on the PostgreSQL run a fresh
// database, dropped with this object.
class E2eDatabase {
 public:
  explicit E2eDatabase(const TempDir& dir, const std::string& file = "duplex.db");
  // What the config's "database" holds: the file's path or the database's URL.
  const std::string& config() const { return config_; }
  bool postgres() const { return pg_ != nullptr; }
  // Whether duplex has created anything there (SQLite: the file; PostgreSQL: its schema).
  bool Created() const;
  // The store on it, opened as duplex opens it: for a test to act while duplex is stopped.
  std::unique_ptr<Store> Open() const;
  // Everything the database holds, as text to search (SQLite: the bytes of the file and its
  // WAL; PostgreSQL: every row of every table).
  std::string Contents() const;

 private:
  std::unique_ptr<PgTestDatabase> pg_;
  std::string config_;
};

}  // namespace duplex::test
