// PgStore: the store on PostgreSQL, for several duplex instances sharing one database
// (docs/postgresql.md). Being built role by role (storage/store.h): so far it opens its
// connection pool, migrates the schema (storage/pg_migrations.h) and answers Ping; the
// other roles follow (issue 17), and until they do `serve` uses SQLite only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/pg_connection.h"
#include "storage/store.h"

namespace duplex {

struct PgStoreOptions {
  storage::PgOptions connection;
  // Schema steps after the built-in ones, as if released later: tests rehearse upgrades.
  std::vector<std::string> extra_migrations = {};
};

class PgStore final : public MaintenanceStore {
 public:
  // Connects and migrates. Unavailable when the server cannot be reached; InvalidArgument
  // for a database from a newer duplex (left untouched).
  static Result<std::unique_ptr<PgStore>> Open(const PgStoreOptions& options);

  Status Ping() override;

 private:
  explicit PgStore(std::unique_ptr<storage::PgPool> pool) : pool_(std::move(pool)) {}
  std::unique_ptr<storage::PgPool> pool_;
};

}  // namespace duplex
