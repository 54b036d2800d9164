// SqliteStore: what instances sharing a database coordinate through — pacing (in memory here:
// one process owns a SQLite file) and leases (core/lease.h), which are trivial with one process
// but kept in the database so the jobs behave the same on both stores.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "storage/sqlite_store.h"

namespace duplex {

Result<Admission> SqliteStore::TakePace(const std::string& target, const RateLimit& limit,
                                        UnixMs now) {
  return pacing_.TakePace(target, limit, now);
}

Status SqliteStore::BlockPace(const std::string& target, UnixMs until) {
  return pacing_.BlockPace(target, until);
}

Result<bool> SqliteStore::TakeLease(const std::string& name, const std::string& owner, UnixMs now,
                                    UnixMs lease_ms) {
  return storage::Guarded(mu_, "take_lease", [&]() -> Result<bool> {
    auto q = Stmt(
        "INSERT INTO singletons (name, owner, lease_until, updated_at) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,"
        " lease_until = CASE WHEN singletons.owner = excluded.owner"
        " THEN max(singletons.lease_until, excluded.lease_until) ELSE excluded.lease_until END,"
        " updated_at = excluded.updated_at"
        " WHERE singletons.owner = excluded.owner OR singletons.lease_until <= ?4");
    q->bind(1, name);
    q->bind(2, owner);
    q->bind(3, now + lease_ms);
    q->bind(4, now);
    return q->exec() == 1;
  });
}

Status SqliteStore::DropLease(const std::string& name, const std::string& owner) {
  return storage::Guarded(mu_, "drop_lease", [&]() -> Status {
    auto q = Stmt("UPDATE singletons SET lease_until = 0 WHERE name = ? AND owner = ?");
    q->bind(1, name);
    q->bind(2, owner);
    q->exec();
    return Status::Ok();
  });
}

Result<std::string> SqliteStore::LeaseState(const std::string& name) {
  return storage::Guarded(mu_, "lease_state", [&]() -> Result<std::string> {
    auto q = Stmt("SELECT state FROM singletons WHERE name = ?");
    q->bind(1, name);
    return q->executeStep() ? q->getColumn(0).getString() : std::string();
  });
}

Result<bool> SqliteStore::SaveLeaseState(const std::string& name, const std::string& owner,
                                         UnixMs now, const std::string& state) {
  return storage::Guarded(mu_, "save_lease_state", [&]() -> Result<bool> {
    auto q = Stmt(
        "UPDATE singletons SET state = ?, updated_at = ? WHERE name = ? AND owner = ?"
        " AND lease_until > ?");
    q->bind(1, state);
    q->bind(2, now);
    q->bind(3, name);
    q->bind(4, owner);
    q->bind(5, now);
    return q->exec() == 1;
  });
}

}  // namespace duplex
