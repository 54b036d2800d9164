// Schema migrations of the PostgreSQL store: the same numbered steps as SQLite's
// (storage/migrations.h), in PostgreSQL's dialect, recorded in a one-row schema_version
// table. Instances starting together do not race: the check and the missing steps run in
// one transaction under a transaction-scoped advisory lock, so the first upgrades and the
// others then find the schema current. A database newer than this build is refused.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <vector>

#include "core/status.h"

namespace duplex::storage {

// The version `conn`'s database is at; 0 for a new, empty one.
Result<int> PgSchemaVersion(PGconn* conn);

// Migrates to the latest version (LatestSchemaVersion(), plus `extra_steps` run after the
// built-in ones, as tests rehearse upgrades). InvalidArgument for a database from a newer
// duplex, untouched; Unavailable when a step fails (nothing of the upgrade is kept).
Status PgMigrate(PGconn* conn, const std::vector<std::string>& extra_steps = {});

}  // namespace duplex::storage
