// Schema migrations, keyed on PRAGMA user_version. Each step runs in its own transaction;
// a database newer than this build is refused rather than opened half-understood.
#pragma once

#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace duplex::storage {

// The schema version this build writes.
int LatestSchemaVersion();

// Migrates `db` to the latest version. Returns an empty string on success, else an error
// that names both versions.
std::string Migrate(SQLite::Database& db);

}  // namespace duplex::storage
