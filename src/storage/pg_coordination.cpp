// PgStore: what instances sharing the database coordinate through — the pacing state of each
// delivery target and the leases of the jobs one instance runs at a time. Each call is one
// statement (one round trip, its own transaction) on the coordination pool.
#include <cstdio>
#include <cstdlib>

#include "storage/pg_rows.h"
#include "storage/pg_store.h"

namespace duplex {

using storage::P;
using storage::Q;

namespace {

std::string Double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Result<Admission> PgStore::TakePace(const std::string& target, const RateLimit& limit, UnixMs now) {
  return storage::PgGuarded(*coordination_, "take_pace", [&](PGconn* conn) -> Result<Admission> {
    // core/pacing.h's TakePace in one statement. The row is locked for the statement only,
    // so instances asking about one target at once take turns and each sees the other's
    // TAT. In DO UPDATE every right-hand side reads the row as it was, so `granted` and
    // `tat` decide on the same values. The first call for a target finds no row: a
    // fresh target has its whole burst, so that call is admitted.
    auto r = Q(conn,
               "INSERT INTO pacing AS p (target, tat, blocked_until, granted)"
               " VALUES ($1, $2::bigint + $3::float8, 0, TRUE)"
               " ON CONFLICT (target) DO UPDATE SET"
               " granted = p.blocked_until <= $2::bigint"
               " AND GREATEST(p.tat, $2::bigint) - $2::bigint <= $4::float8,"
               " tat = CASE WHEN p.blocked_until <= $2::bigint"
               " AND GREATEST(p.tat, $2::bigint) - $2::bigint <= $4::float8"
               " THEN GREATEST(p.tat, $2::bigint) + $3::float8 ELSE p.tat END"
               " RETURNING granted, tat, blocked_until",
               {target, P(now), Double(PaceInterval(limit)), Double(PaceTolerance(limit))});
    PaceState state;
    state.tat = std::strtod(r.Text(0, 1).c_str(), nullptr);
    state.blocked_until = r.Int(0, 2);
    return Admission{r.Text(0, 0) == "t", NextPaceAt(state, limit, now)};
  });
}

Status PgStore::BlockPace(const std::string& target, UnixMs until) {
  return storage::PgGuarded(*coordination_, "block_pace", [&](PGconn* conn) -> Status {
    Q(conn,
      "INSERT INTO pacing AS p (target, tat, blocked_until) VALUES ($1, 0, $2)"
      " ON CONFLICT (target) DO UPDATE SET"
      " blocked_until = GREATEST(p.blocked_until, EXCLUDED.blocked_until)",
      {target, P(until)});
    return Status::Ok();
  });
}

Result<bool> PgStore::TakeLease(const std::string& name, const std::string& owner, UnixMs now,
                                UnixMs lease_ms) {
  return storage::PgGuarded(*coordination_, "take_lease", [&](PGconn* conn) -> Result<bool> {
    // Under the row lock: two instances taking a free lease at once are one insert and one
    // update that then finds the other's lease standing.
    return Q(conn,
             "INSERT INTO singletons AS s (name, owner, lease_until, updated_at)"
             " VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner,"
             " lease_until = CASE WHEN s.owner = EXCLUDED.owner"
             " THEN GREATEST(s.lease_until, EXCLUDED.lease_until) ELSE EXCLUDED.lease_until END,"
             " updated_at = EXCLUDED.updated_at"
             " WHERE s.owner = EXCLUDED.owner OR s.lease_until <= $4",
             {name, owner, P(now + lease_ms), P(now)})
               .Affected() == 1;
  });
}

Status PgStore::DropLease(const std::string& name, const std::string& owner) {
  return storage::PgGuarded(*coordination_, "drop_lease", [&](PGconn* conn) -> Status {
    Q(conn, "UPDATE singletons SET lease_until = 0 WHERE name = $1 AND owner = $2", {name, owner});
    return Status::Ok();
  });
}

Result<std::string> PgStore::LeaseState(const std::string& name) {
  return storage::PgGuarded(
      *coordination_, "lease_state", [&](PGconn* conn) -> Result<std::string> {
        auto r = Q(conn, "SELECT state FROM singletons WHERE name = $1", {name});
        return r.Rows() == 0 ? std::string() : r.Text(0, 0);
      });
}

Result<bool> PgStore::SaveLeaseState(const std::string& name, const std::string& owner, UnixMs now,
                                     const std::string& state) {
  return storage::PgGuarded(*coordination_, "save_lease_state", [&](PGconn* conn) -> Result<bool> {
    return Q(conn,
             "UPDATE singletons SET state = $1, updated_at = $2 WHERE name = $3 AND owner = $4"
             " AND lease_until > $2",
             {state, P(now), name, owner})
               .Affected() == 1;
  });
}

}  // namespace duplex
