#include "storage/open_store.h"

#include "storage/pg_store.h"
#include "storage/sqlite_store.h"

namespace duplex::storage {

bool IsPostgresUrl(const std::string& database) {
  return database.rfind("postgresql://", 0) == 0 || database.rfind("postgres://", 0) == 0;
}

std::string MaskDatabasePassword(const std::string& database) {
  if (!IsPostgresUrl(database)) return database;
  std::string out = database;
  const std::size_t authority = out.find("://") + 3;
  const std::size_t end = out.find_first_of("/?", authority);
  const std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
  if (at != std::string::npos && at >= authority) {
    const std::size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  for (std::size_t p =
           out.find("password=", out.find('?') == std::string::npos ? out.size() : out.find('?'));
       p != std::string::npos; p = out.find("password=", p + 1)) {
    const std::size_t value = p + 9;
    const std::size_t stop = out.find('&', value);
    out.replace(value, (stop == std::string::npos ? out.size() : stop) - value, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& database,
                                         const std::string& synchronous) {
  if (IsPostgresUrl(database)) {
    PgStoreOptions o;
    o.connection.url = database;
    auto store = PgStore::Open(o);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  SqliteOptions o;
  o.path = database;
  o.synchronous = synchronous;
  auto store = SqliteStore::Open(o);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace duplex::storage
