// A PostgreSQL database of its own for one test, on the throwaway server scripts/with-postgres
// starts (DUPLEX_TEST_PG_URL). Without that variable there is none: the test says it is
// skipped (ctest reports it "Skipped", tests/CMakeLists.txt) and checks nothing.
#pragma once

#include <optional>
#include <string>

namespace duplex::test {

// The server's URL, if the suite runs beside one.
std::optional<std::string> PgTestUrl();

// Prints the line ctest recognises as a skip (SKIP_REGULAR_EXPRESSION) and returns true
// when there is no PostgreSQL server: `if (test::SkipWithoutPostgres()) return;`.
bool SkipWithoutPostgres();

// CREATE DATABASE with a fresh name, dropped (with its connections) when this goes away.
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

}  // namespace duplex::test
