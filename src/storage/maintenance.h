// Operator tasks on the database from outside the server's own connection: a consistent
// copy of a live database (`duplex backup`, and the copy made before a schema upgrade) and
// the checks `duplex check-config` runs. `database` is the config's `database` value, a
// SQLite file path today; like the Store port, nothing here shows SQL to its callers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace SQLite {
class Database;
}

namespace duplex::storage {

struct BackupReport {
  std::int64_t bytes = 0;
  int schema_version = 0;
  std::int64_t copy_ms = 0;    // the read transaction: how long the snapshot was held
  std::int64_t verify_ms = 0;  // integrity_check of the copy, with the database released
};

// Copies the live `database` to `to` while a server keeps writing to it. The copy is one
// `VACUUM INTO` from a read-only connection: a single read transaction, so it is one
// consistent snapshot (everything committed before it started) and WAL lets writers go on
// meanwhile; a stepwise copy would restart on every write and never finish under load.
// It goes to a temporary file next to `to`, is checked (integrity_check), synced, and only
// then takes the name `to`. An existing `to` is refused (InvalidArgument) unless
// `overwrite`; so is `to` naming the database itself. `database` is never changed.
Result<BackupReport> BackupDatabase(const std::string& database, const std::string& to,
                                    bool overwrite);

// The same copy from an open connection (the store's, before it migrates). `to` must not
// exist. Errors name `to` and the cause. The copy, like every file below, is readable by its
// owner only (0600), whatever the umask: it holds customer messages.
Status CopyDatabase(SQLite::Database& source, const std::string& to);

// Makes `database` a file only its owner can read or write, before SQLite opens it: creates
// it 0600 when missing, and takes group and other permissions away from it and from its
// -wal and -shm files when they have them and belong to this process's user (SQLite creates
// the -wal and -shm files with the database file's permissions). Files owned by someone
// else are left alone. Errors name the path and the cause.
Status MakeDatabaseFilePrivate(const std::string& database);

// Where the copy made before upgrading `database` from `from_version` goes: next to it,
// named `<database>.v<from_version>-<UTC yyyymmddThhmmssZ>.bak`.
std::string UpgradeBackupPath(const std::string& database, int from_version);

// What `serve` would find at `database`. `problems` would stop it: a missing folder, a
// folder or file it cannot write (it needs the folder for the WAL files and for upgrade
// backups), a file that is not a SQLite database, a schema newer than this build. `notes`
// are for the operator: the file does not exist yet, or an upgrade will run at start.
// Every line starts with "database: ". Nothing is created or changed.
struct DatabaseCheck {
  std::vector<std::string> problems;
  std::vector<std::string> notes;
};
DatabaseCheck CheckDatabase(const std::string& database);

}  // namespace duplex::storage
