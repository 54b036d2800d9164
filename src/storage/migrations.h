// Schema migrations, keyed on PRAGMA user_version. The missing steps run in one transaction,
// so an upgrade happens entirely or not at all; a database newer than this build is refused
// rather than opened half-understood. (SqliteStore::Open copies an older database aside
// before it upgrades it.)
#pragma once

#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace duplex::storage {

// The schema version this build writes.
int LatestSchemaVersion();

// The version `db` is at; 0 for a new, empty database.
int SchemaVersion(SQLite::Database& db);

// The refusal for a database at `version`, newer than `latest`: names both and what to do.
std::string NewerSchemaError(const std::string& path, int version, int latest);

// Migrates `db` to the latest version. `extra_steps` run after the built-in ones, as if they
// were the next released versions (tests rehearse upgrades with them). Returns an empty
// string on success, else an error that names both versions.
std::string Migrate(SQLite::Database& db, const std::vector<std::string>& extra_steps = {});

}  // namespace duplex::storage
