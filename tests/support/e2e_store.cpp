#include "support/e2e_store.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "storage/open_store.h"

namespace duplex::test {

bool E2eOnPostgres() {
  const char* store = std::getenv("DUPLEX_E2E_STORE");
  return store != nullptr && std::string(store) == "postgres";
}

bool SkipOnPostgres(const char* reason) {
  if (!E2eOnPostgres()) return false;
  std::printf("DUPLEX-SQLITE-ONLY: this test is left out of the PostgreSQL run: %s\n", reason);
  return true;
}

bool SkipUnlessPostgresOwnTest() {
  return SkipWithoutPostgres() || SkipOnPostgres("it runs on PostgreSQL in the e2e: run already");
}

E2eDatabase::E2eDatabase(const TempDir& dir, const std::string& file) {
  if (E2eOnPostgres()) {
    pg_ = std::make_unique<PgTestDatabase>();
    config_ = pg_->url();
  } else {
    config_ = dir.File(file);
  }
}

bool E2eDatabase::Created() const {
  if (pg_) return PgQuery(pg_->url(), "SELECT to_regclass('schema_version') IS NOT NULL") == "t";
  return std::filesystem::exists(config_);
}

std::unique_ptr<Store> E2eDatabase::Open() const {
  auto store = storage::OpenStore(config_, "FULL");
  REQUIRE_MESSAGE(store.ok(), store.status().message());
  return std::move(*store);
}

std::string E2eDatabase::Contents() const {
  if (pg_) {
    return PgQuery(pg_->url(),
                   "SELECT string_agg(query_to_xml(format('SELECT * FROM %I', tablename), true, "
                   "false, '')::text, E'\\n') FROM pg_tables WHERE schemaname = 'public'");
  }
  std::string bytes;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string path = config_ + suffix;
    if (std::filesystem::exists(path)) bytes += ReadFile(path);
  }
  return bytes;
}

}  // namespace duplex::test
