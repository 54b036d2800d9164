// A PostgreSQL database of its own for one test, on the throwaway server scripts/with-postgres
// starts (DUPLEX_TEST_PG_URL). Without that variable there is none: the test says it is
// skipped (ctest reports it "Skipped", tests/CMakeLists.txt) and checks nothing.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace duplex {
class PgStore;
}

namespace duplex::test {

// The server's URL, if the suite runs beside one.
std::optional<std::string> PgTestUrl();

// Prints the line ctest recognises as a skip (SKIP_REGULAR_EXPRESSION) and returns true
// when there is no PostgreSQL server: `if (test::SkipWithoutPostgres()) return;`.
bool SkipWithoutPostgres();

// CREATE DATABASE with a fresh name, dropped (with its connections) when this goes away:
// the DROP is sent then, and completes on the server shortly after.
class PgTestDatabase {
 public:
  PgTestDatabase();  // requires PgTestUrl(); throws when the server refuses
  ~PgTestDatabase();
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

// A migrated PostgreSQL store on `url` (a PgTestDatabase's); fails the test when it cannot be
// opened.
std::unique_ptr<PgStore> OpenPgStore(const std::string& url);

// Runs `sql` on a connection of its own to `url`, failing the test on an error. The first
// row's first column, or "" when there is no row.
std::string PgQuery(const std::string& url, const std::string& sql);

}  // namespace duplex::test
