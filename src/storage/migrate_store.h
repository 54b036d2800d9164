// Moving a single-host duplex from SQLite to PostgreSQL (`duplex migrate-store`): every table
// of a SQLite database is copied into an empty PostgreSQL database, ids included, so
// conversation #42 stays #42 and what staff typed about it still points at it.
//
// The contract:
// - The source is brought to this build's schema first, as `serve` would (SqliteStore::Open:
//   an older file is copied aside, then upgraded); the target is migrated as PgStore::Open
//   does. Both are then at LatestSchemaVersion().
// - The source is read inside one transaction holding SQLite's exclusive lock: the copy is one
//   consistent snapshot, and a process that has the file open (a running duplex) makes it
//   refuse rather than copy a database that is still changing. Nothing in it is changed.
// - The target is written in one transaction, with the copied tables locked against writers:
//   it is refused if any of them already holds a row; on any failure nothing is kept. The
//   rows are counted on both sides before that transaction commits, and a difference fails
//   it. The identity counters are moved past the copied ids (and past ids SQLite handed out
//   and later deleted), so new rows never reuse one.
// - Every table of the SQLite schema is copied; PostgreSQL's own bookkeeping (schema_version)
//   is not a copied table. A SQLite table or column the target lacks is refused: the two
//   schemas differ, which is a bug, not something to paper over.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace duplex::storage {

struct CopiedTable {
  std::string name;
  std::int64_t source_rows = 0;
  std::int64_t target_rows = 0;  // counted in the target's transaction, before it committed
  std::int64_t next_id = 0;      // the id the target's table hands out next; 0: it has none
};

struct MigrateStoreReport {
  int schema_version = 0;
  std::vector<CopiedTable> tables;  // in the order copied
  std::int64_t copy_ms = 0;         // the target's transaction, from lock to commit
};

// Copies the SQLite database at `sqlite_path` into the PostgreSQL database `postgres_url`.
// InvalidArgument (nothing copied) for: a URL that is not postgresql:// or postgres://; a
// source that does not exist (never created), is not a SQLite database, or not a duplex one;
// either side written by a newer duplex; a target with a row in a copied table (named).
// Unavailable: the source is in use by another process, or a database failed meanwhile.
// Internal: the schemas differ, or the counts did not match (nothing kept).
Result<MigrateStoreReport> MigrateSqliteToPostgres(const std::string& sqlite_path,
                                                   const std::string& postgres_url);

}  // namespace duplex::storage
