// Choosing the store from the config's `database` value: a libpq connection URI
// (postgresql://… or postgres://…) selects the PostgreSQL store, anything else is a SQLite
// file path.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "storage/store.h"

namespace duplex::storage {

bool IsPostgresUrl(const std::string& database);

// The value with its password replaced by "***" (the URI's user:password@ and a password=
// parameter), for printing; a SQLite path comes back unchanged.
std::string MaskDatabasePassword(const std::string& database);

// Opens and migrates the store `database` names. `synchronous` is SQLite's (FULL or NORMAL).
Result<std::unique_ptr<Store>> OpenStore(const std::string& database,
                                         const std::string& synchronous);

}  // namespace duplex::storage
