// PgStore: administration (routes, mutes, admins, audit log).
#include "core/conversation_rules.h"
#include "storage/pg_rows.h"
#include "storage/pg_store.h"
#include "storage/route_fields.h"

namespace duplex {

using storage::P;
using storage::Q;

Result<std::vector<Route>> PgStore::ListRoutes() {
  return storage::PgGuarded(*pool_, "list_routes", [&](PGconn* conn) -> Result<std::vector<Route>> {
    auto r = Q(conn,
               "SELECT name, channel, platforms, kinds, keywords, regex, min_followers, priority,"
               " enabled FROM routes ORDER BY name");
    std::vector<Route> out;
    for (int i = 0; i < r.Rows(); ++i) {
      Route route;
      route.name = r.Text(i, 0);
      route.channel = r.Text(i, 1);
      storage::DecodeRouteFields({r.Text(i, 2), r.Text(i, 3), r.Text(i, 4)}, route);
      route.regex = r.Text(i, 5);
      if (!r.IsNull(i, 6)) route.min_followers = r.Int(i, 6);
      route.priority = static_cast<int>(r.Int(i, 7));
      route.enabled = r.Int(i, 8) != 0;
      out.push_back(std::move(route));
    }
    return out;
  });
}

Result<bool> PgStore::PutRoute(const Route& route, UnixMs now) {
  return storage::PgGuarded(*pool_, "put_route", [&](PGconn* conn) -> Result<bool> {
    const storage::RouteFields fields = storage::EncodeRouteFields(route);
    // xmax <> 0: the row was updated (it existed), not inserted.
    auto r =
        Q(conn,
          "INSERT INTO routes (name, channel, platforms, kinds, keywords, regex,"
          " min_followers, priority, enabled, created_at, updated_at)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (name) DO UPDATE"
          " SET channel = $2, platforms = $3, kinds = $4, keywords = $5, regex = $6,"
          " min_followers = $7, priority = $8, enabled = $9, updated_at = $10"
          " RETURNING xmax <> 0",
          {route.name, route.channel, fields.platforms, fields.kinds, fields.keywords, route.regex,
           P(route.min_followers), P(route.priority), P(route.enabled ? 1 : 0), P(now)});
    return r.Text(0, 0) == "t";
  });
}

Result<bool> PgStore::DeleteRoute(const std::string& name) {
  return storage::PgGuarded(*pool_, "delete_route", [&](PGconn* conn) -> Result<bool> {
    return Q(conn, "DELETE FROM routes WHERE name = $1", {name}).Affected() > 0;
  });
}

Result<bool> PgStore::SetRouteEnabled(const std::string& name, bool enabled, UnixMs now) {
  return storage::PgGuarded(*pool_, "set_route_enabled", [&](PGconn* conn) -> Result<bool> {
    return Q(conn, "UPDATE routes SET enabled = $1, updated_at = $2 WHERE name = $3",
             {P(enabled ? 1 : 0), P(now), name})
               .Affected() > 0;
  });
}

Result<bool> PgStore::AddMute(const Mute& mute) {
  return storage::PgGuarded(*pool_, "add_mute", [&](PGconn* conn) -> Result<bool> {
    return Q(conn,
             "INSERT INTO mutes (platform, author, created_by, created_at) VALUES ($1, $2, $3, $4)"
             " ON CONFLICT DO NOTHING",
             {mute.platform, MuteKey(mute.author), mute.created_by, P(mute.created_at)})
               .Affected() > 0;
  });
}

Result<bool> PgStore::RemoveMute(const std::string& platform, const std::string& author) {
  return storage::PgGuarded(*pool_, "remove_mute", [&](PGconn* conn) -> Result<bool> {
    return Q(conn, "DELETE FROM mutes WHERE platform = $1 AND lower(author) = lower($2)",
             {platform, MuteKey(author)})
               .Affected() > 0;
  });
}

Result<std::vector<Mute>> PgStore::ListMutes() {
  return storage::PgGuarded(*pool_, "list_mutes", [&](PGconn* conn) -> Result<std::vector<Mute>> {
    auto r = Q(conn,
               "SELECT platform, author, created_by, created_at FROM mutes"
               " ORDER BY platform, lower(author)");
    std::vector<Mute> out;
    for (int i = 0; i < r.Rows(); ++i)
      out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Int(i, 3)});
    return out;
  });
}

Result<bool> PgStore::AddAdmin(const StoredAdmin& admin) {
  return storage::PgGuarded(*pool_, "add_admin", [&](PGconn* conn) -> Result<bool> {
    return Q(conn,
             "INSERT INTO admins (user_id, added_by, added_at) VALUES ($1, $2, $3)"
             " ON CONFLICT DO NOTHING",
             {admin.user_id, admin.added_by, P(admin.added_at)})
               .Affected() > 0;
  });
}

Result<bool> PgStore::RemoveAdmin(const std::string& user_id, bool keep_last) {
  return storage::PgGuarded(*pool_, "remove_admin", [&](PGconn* conn) -> Result<bool> {
    storage::PgTx tx(conn);
    // The table lock makes "is it the last one?" hold until the delete commits, even when two
    // instances remove the last two admins at once.
    Q(conn, "LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE");
    if (keep_last) {
      auto r =
          Q(conn, "SELECT COUNT(*), COUNT(*) FILTER (WHERE user_id = $1) FROM admins", {user_id});
      if (r.Int(0, 0) == 1 && r.Int(0, 1) == 1) return Status::Invalid("that is the last admin");
    }
    const bool removed = Q(conn, "DELETE FROM admins WHERE user_id = $1", {user_id}).Affected() > 0;
    tx.Commit();
    return removed;
  });
}

Result<std::vector<StoredAdmin>> PgStore::ListAdmins() {
  return storage::PgGuarded(*pool_, "list_admins",
                            [&](PGconn* conn) -> Result<std::vector<StoredAdmin>> {
                              auto r = Q(conn,
                                         "SELECT user_id, added_by, added_at FROM admins"
                                         " ORDER BY added_at, user_id");
                              std::vector<StoredAdmin> out;
                              for (int i = 0; i < r.Rows(); ++i)
                                out.push_back({r.Text(i, 0), r.Text(i, 1), r.Int(i, 2)});
                              return out;
                            });
}

Result<std::int64_t> PgStore::AppendAudit(const AuditEntry& e) {
  return storage::PgGuarded(*pool_, "append_audit", [&](PGconn* conn) -> Result<std::int64_t> {
    return Q(conn,
             "INSERT INTO audit_log (at, user_id, command, result, detail)"
             " VALUES ($1, $2, $3, $4, $5) RETURNING id",
             {P(e.at), e.user_id, e.command, ToString(e.result), e.detail})
        .Int(0, 0);
  });
}

Status PgStore::FinishAudit(std::int64_t id, AuditResult result, const std::string& detail) {
  return storage::PgGuarded(*pool_, "finish_audit", [&](PGconn* conn) -> Status {
    if (Q(conn,
          "UPDATE audit_log SET result = $1, detail = $2 WHERE id = $3 AND result = 'started'",
          {ToString(result), detail, P(id)})
            .Affected() == 0) {
      return Status::NotFound("no started audit entry " + std::to_string(id));
    }
    return Status::Ok();
  });
}

Result<std::vector<AuditEntry>> PgStore::RecentAudit(int limit) {
  return storage::PgGuarded(*pool_, "recent_audit",
                            [&](PGconn* conn) -> Result<std::vector<AuditEntry>> {
                              auto r = Q(conn,
                                         "SELECT id, at, user_id, command, result, detail"
                                         " FROM audit_log ORDER BY id DESC LIMIT $1",
                                         {P(limit)});
                              std::vector<AuditEntry> out;
                              for (int i = 0; i < r.Rows(); ++i) {
                                AuditEntry e;
                                e.id = r.Int(i, 0);
                                e.at = r.Int(i, 1);
                                e.user_id = r.Text(i, 2);
                                e.command = r.Text(i, 3);
                                e.result = ParseAuditResult(r.Text(i, 4));
                                e.detail = r.Text(i, 5);
                                out.push_back(std::move(e));
                              }
                              return out;
                            });
}

}  // namespace duplex
