// SqliteStore: the administration half (routes, mutes, admins, audit log).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "core/conversation_rules.h"
#include "storage/route_fields.h"
#include "storage/sqlite_store.h"

namespace duplex {
namespace {

Route ReadRoute(SQLite::Statement& q) {
  Route r;
  r.name = q.getColumn(0).getString();
  r.channel = q.getColumn(1).getString();
  storage::DecodeRouteFields(
      {q.getColumn(2).getString(), q.getColumn(3).getString(), q.getColumn(4).getString()}, r);
  r.regex = q.getColumn(5).getString();
  if (!q.getColumn(6).isNull()) r.min_followers = q.getColumn(6).getInt64();
  r.priority = q.getColumn(7).getInt();
  r.enabled = q.getColumn(8).getInt() != 0;
  return r;
}

}  // namespace

bool SqliteStore::IsMuted(const Mention& m) {
  // Two primary-key probes: `author IN (?, ?)` would build a temporary b-tree of the two
  // values on every call, once per ingested mention (bench/README.md, issue 8).
  auto q = Stmt(
      "SELECT EXISTS (SELECT 1 FROM mutes WHERE platform = ?1 AND author = ?2)"
      " OR EXISTS (SELECT 1 FROM mutes WHERE platform = ?1 AND author = ?3)");
  q->bind(1, m.platform);
  q->bind(2, MuteKey(m.author.handle));
  q->bind(3, m.author.id);
  return q->executeStep() && q->getColumn(0).getInt() != 0;
}

Result<std::vector<Route>> SqliteStore::ListRoutes() {
  return storage::Guarded(mu_, "list_routes", [&]() -> Result<std::vector<Route>> {
    auto q = Stmt(
        "SELECT name, channel, platforms, kinds, keywords, regex, min_followers, priority, enabled"
        " FROM routes ORDER BY name");
    std::vector<Route> out;
    while (q->executeStep()) out.push_back(ReadRoute(*q));
    return out;
  });
}

Result<bool> SqliteStore::PutRoute(const Route& r, UnixMs now) {
  return storage::Guarded(mu_, "put_route", [&]() -> Result<bool> {
    SQLite::Transaction tx(*db_);
    bool replaced = false;
    {
      auto q = Stmt("SELECT 1 FROM routes WHERE name = ?");
      q->bind(1, r.name);
      replaced = q->executeStep();
    }
    const storage::RouteFields fields = storage::EncodeRouteFields(r);
    auto q = Stmt(
        "INSERT INTO routes (name, channel, platforms, kinds, keywords, regex, min_followers,"
        " priority, enabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
        " ?10, ?10) ON CONFLICT (name) DO UPDATE SET channel = ?2, platforms = ?3, kinds = ?4,"
        " keywords = ?5, regex = ?6, min_followers = ?7, priority = ?8, enabled = ?9,"
        " updated_at = ?10");
    q->bind(1, r.name);
    q->bind(2, r.channel);
    q->bind(3, fields.platforms);
    q->bind(4, fields.kinds);
    q->bind(5, fields.keywords);
    q->bind(6, r.regex);
    storage::BindOptionalInt(*q, 7, r.min_followers);
    q->bind(8, r.priority);
    q->bind(9, r.enabled ? 1 : 0);
    q->bind(10, now);
    q->exec();
    tx.commit();
    return replaced;
  });
}

Result<bool> SqliteStore::DeleteRoute(const std::string& name) {
  return storage::Guarded(mu_, "delete_route", [&]() -> Result<bool> {
    auto q = Stmt("DELETE FROM routes WHERE name = ?");
    q->bind(1, name);
    return q->exec() > 0;
  });
}

Result<bool> SqliteStore::SetRouteEnabled(const std::string& name, bool enabled, UnixMs now) {
  return storage::Guarded(mu_, "set_route_enabled", [&]() -> Result<bool> {
    auto q = Stmt("UPDATE routes SET enabled = ?, updated_at = ? WHERE name = ?");
    q->bind(1, enabled ? 1 : 0);
    q->bind(2, now);
    q->bind(3, name);
    return q->exec() > 0;
  });
}

Result<bool> SqliteStore::AddMute(const Mute& mute) {
  return storage::Guarded(mu_, "add_mute", [&]() -> Result<bool> {
    auto q = Stmt(
        "INSERT OR IGNORE INTO mutes (platform, author, created_by, created_at) VALUES (?, ?, ?, "
        "?)");
    q->bind(1, mute.platform);
    q->bind(2, MuteKey(mute.author));
    q->bind(3, mute.created_by);
    q->bind(4, mute.created_at);
    return q->exec() > 0;
  });
}

Result<bool> SqliteStore::RemoveMute(const std::string& platform, const std::string& author) {
  return storage::Guarded(mu_, "remove_mute", [&]() -> Result<bool> {
    auto q = Stmt("DELETE FROM mutes WHERE platform = ? AND author = ?");
    q->bind(1, platform);
    q->bind(2, MuteKey(author));
    return q->exec() > 0;
  });
}

Result<std::vector<Mute>> SqliteStore::ListMutes() {
  return storage::Guarded(mu_, "list_mutes", [&]() -> Result<std::vector<Mute>> {
    auto q = Stmt(
        "SELECT platform, author, created_by, created_at FROM mutes ORDER BY platform, author");
    std::vector<Mute> out;
    while (q->executeStep()) {
      out.push_back({q->getColumn(0).getString(), q->getColumn(1).getString(),
                     q->getColumn(2).getString(), q->getColumn(3).getInt64()});
    }
    return out;
  });
}

Result<bool> SqliteStore::AddAdmin(const StoredAdmin& admin) {
  return storage::Guarded(mu_, "add_admin", [&]() -> Result<bool> {
    auto q = Stmt("INSERT OR IGNORE INTO admins (user_id, added_by, added_at) VALUES (?, ?, ?)");
    q->bind(1, admin.user_id);
    q->bind(2, admin.added_by);
    q->bind(3, admin.added_at);
    return q->exec() > 0;
  });
}

Result<bool> SqliteStore::RemoveAdmin(const std::string& user_id, bool keep_last) {
  return storage::Guarded(mu_, "remove_admin", [&]() -> Result<bool> {
    SQLite::Transaction tx(*db_);
    if (keep_last) {
      auto q = Stmt("SELECT COUNT(*), SUM(user_id = ?) FROM admins");
      q->bind(1, user_id);
      if (q->executeStep() && q->getColumn(0).getInt64() == 1 && q->getColumn(1).getInt64() == 1) {
        return Status::Invalid("that is the last admin");
      }
    }
    auto q = Stmt("DELETE FROM admins WHERE user_id = ?");
    q->bind(1, user_id);
    bool removed = q->exec() > 0;
    tx.commit();
    return removed;
  });
}

Result<std::vector<StoredAdmin>> SqliteStore::ListAdmins() {
  return storage::Guarded(mu_, "list_admins", [&]() -> Result<std::vector<StoredAdmin>> {
    auto q = Stmt("SELECT user_id, added_by, added_at FROM admins ORDER BY added_at, user_id");
    std::vector<StoredAdmin> out;
    while (q->executeStep()) {
      out.push_back(
          {q->getColumn(0).getString(), q->getColumn(1).getString(), q->getColumn(2).getInt64()});
    }
    return out;
  });
}

Result<std::int64_t> SqliteStore::AppendAudit(const AuditEntry& e) {
  return storage::Guarded(mu_, "append_audit", [&]() -> Result<std::int64_t> {
    auto q =
        Stmt("INSERT INTO audit_log (at, user_id, command, result, detail) VALUES (?, ?, ?, ?, ?)");
    q->bind(1, e.at);
    q->bind(2, e.user_id);
    q->bind(3, e.command);
    q->bind(4, ToString(e.result));
    q->bind(5, e.detail);
    q->exec();
    return static_cast<std::int64_t>(db_->getLastInsertRowid());
  });
}

Status SqliteStore::FinishAudit(std::int64_t id, AuditResult result, const std::string& detail) {
  return storage::Guarded(mu_, "finish_audit", [&]() -> Status {
    auto q =
        Stmt("UPDATE audit_log SET result = ?, detail = ? WHERE id = ? AND result = 'started'");
    q->bind(1, ToString(result));
    q->bind(2, detail);
    q->bind(3, id);
    if (q->exec() == 0) return Status::NotFound("no started audit entry " + std::to_string(id));
    return Status::Ok();
  });
}

Result<std::vector<AuditEntry>> SqliteStore::RecentAudit(int limit) {
  return storage::Guarded(mu_, "recent_audit", [&]() -> Result<std::vector<AuditEntry>> {
    auto q = Stmt(
        "SELECT id, at, user_id, command, result, detail FROM audit_log ORDER BY id DESC LIMIT ?");
    q->bind(1, limit);
    std::vector<AuditEntry> out;
    while (q->executeStep()) {
      AuditEntry e;
      e.id = q->getColumn(0).getInt64();
      e.at = q->getColumn(1).getInt64();
      e.user_id = q->getColumn(2).getString();
      e.command = q->getColumn(3).getString();
      e.result = ParseAuditResult(q->getColumn(4).getString());
      e.detail = q->getColumn(5).getString();
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace duplex
