#include "storage/pg_store.h"

#include "core/log.h"
#include "storage/pg_listener.h"
#include "storage/pg_migrations.h"

namespace duplex {

namespace {

// Pacing questions come from the claiming thread and wait hints from the delivery threads;
// lease calls are rare. Each is one short statement.
constexpr int kCoordinationConnections = 2;

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::Open(const PgStoreOptions& options) {
  auto pool = storage::PgPool::Open(options.connection);
  if (!pool.ok()) return pool.status();
  {
    auto conn = (*pool)->Acquire();
    if (!conn.ok()) return conn.status();
    auto before = storage::PgSchemaVersion(conn->get());
    if (!before.ok()) return before.status();
    if (Status s = storage::PgMigrate(conn->get(), options.extra_migrations); !s.ok()) return s;
    auto after = storage::PgSchemaVersion(conn->get());
    if (after.ok() && *before > 0 && *after != *before) {
      log::Info("database schema upgraded", {{"database", "postgresql"},
                                             {"from", std::to_string(*before)},
                                             {"to", std::to_string(*after)}});
    }
  }
  storage::PgOptions coordination = options.connection;
  coordination.pool_size = kCoordinationConnections;
  auto coordination_pool = storage::PgPool::Open(coordination);
  if (!coordination_pool.ok()) return coordination_pool.status();
  return std::unique_ptr<PgStore>(new PgStore(std::move(*pool), std::move(*coordination_pool)));
}

Status PgStore::Ping() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = storage::PgExec(conn->get(), "SELECT 1");
  if (!r.ok()) {
    log::Error("database operation failed",
               {{"operation", "ping"}, {"error", r.status().message()}});
    return Status::Unavailable("database unavailable");
  }
  return Status::Ok();
}

std::unique_ptr<OutboxWatch> PgStore::WatchOutbox(std::function<void()> on_change) {
  return std::make_unique<storage::PgListener>(pool_->options(), storage::kOutboxChannel,
                                               std::move(on_change));
}

}  // namespace duplex
