// Store contract tests: the same test runs against each store implementation, through
//   TEST_CASE_TEMPLATE("…", F, test::SqliteFactory, test::PgFactory) {
//     F f;
//     if (!f.available()) return;  // PostgreSQL without DUPLEX_TEST_PG_URL: skipped
//     f.store->…
//   }
// Each factory makes a fresh, empty, migrated store (PostgreSQL: a database of its own) and
// can reopen it, as a restart would. Its kKind names the store to fixtures that build more
// around one (test::StaffRig).
#pragma once

#include <memory>
#include <string>

#include "storage/pg_store.h"
#include "storage/sqlite_store.h"
#include "support/pg_test_db.h"
#include "support/test_util.h"

namespace duplex::test {

// A generic mention from Ana (message id "msg-<event_id>"), routed to `channel`: what the store
// tests ingest.
IngestItem MentionItem(const std::string& event_id, const std::string& conversation,
                       const std::string& text, const std::string& channel = "C1");

enum class StoreKind { kSqlite, kPostgres };

struct SqliteFactory {
  static constexpr StoreKind kKind = StoreKind::kSqlite;
  SqliteFactory() { Reopen(); }
  bool available() const { return true; }
  void Reopen();

  TempDir dir;
  std::unique_ptr<SqliteStore> store;
};

struct PgFactory {
  static constexpr StoreKind kKind = StoreKind::kPostgres;
  PgFactory();  // prints the skip line when there is no server
  bool available() const { return store != nullptr; }
  void Reopen();

  std::unique_ptr<PgTestDatabase> db;
  std::unique_ptr<PgStore> store;
};

}  // namespace duplex::test
