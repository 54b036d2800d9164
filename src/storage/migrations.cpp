#include "storage/migrations.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

namespace duplex::storage {
namespace {

// Append only: a released step is never edited, a change is a new step.
const std::vector<const char*>& Steps() {
  static const std::vector<const char*> steps = {
      // 1: conversations, messages, dedup and the outbox.
      R"sql(
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  platform TEXT NOT NULL,
  conversation_key TEXT NOT NULL,
  channel TEXT NOT NULL,
  thread_ts TEXT NOT NULL DEFAULT '',
  route TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'open',
  assignee TEXT NOT NULL DEFAULT '',
  author_id TEXT NOT NULL DEFAULT '',
  author_handle TEXT NOT NULL DEFAULT '',
  author_name TEXT NOT NULL DEFAULT '',
  author_followers INTEGER,
  account TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  first_response_at INTEGER,
  UNIQUE (platform, conversation_key)
);
CREATE INDEX conversations_thread ON conversations (channel, thread_ts);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  platform TEXT NOT NULL,
  direction TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT '',
  event_id TEXT NOT NULL DEFAULT '',
  platform_message_id TEXT NOT NULL DEFAULT '',
  author_id TEXT NOT NULL DEFAULT '',
  author_handle TEXT NOT NULL DEFAULT '',
  author_name TEXT NOT NULL DEFAULT '',
  author_followers INTEGER,
  chat_user TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL,
  permalink TEXT NOT NULL DEFAULT '',
  reply_target TEXT NOT NULL DEFAULT '',
  parent_id INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT '',
  chat_ts TEXT NOT NULL DEFAULT '',
  muted INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_platform_id ON messages (platform, platform_message_id)
  WHERE platform_message_id <> '';
CREATE TABLE processed_events (
  platform TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (platform, event_id)
) WITHOUT ROWID;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  conversation_id INTEGER NOT NULL DEFAULT 0,
  message_id INTEGER NOT NULL DEFAULT 0,
  target TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_conversation_active ON outbox (conversation_id, id)
  WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_state ON outbox (state);
)sql",
      // 2: routes, mutes, admins added from chat, the audit log.
      R"sql(
CREATE TABLE routes (
  name TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  platforms TEXT NOT NULL DEFAULT '',
  kinds TEXT NOT NULL DEFAULT '',
  keywords TEXT NOT NULL DEFAULT '',
  regex TEXT NOT NULL DEFAULT '',
  min_followers INTEGER,
  priority INTEGER NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE mutes (
  platform TEXT NOT NULL,
  author TEXT NOT NULL COLLATE NOCASE,
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (platform, author)
) WITHOUT ROWID;
CREATE TABLE admins (
  user_id TEXT PRIMARY KEY,
  added_by TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  command TEXT NOT NULL,
  result TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
)sql",
      // 3 (staff workflow): SLA clock per cycle and its alerts, the message that reopened a
      // conversation, reply templates. Conversations from before this step owe no alerts:
      // an upgrade must not flood the channels with stale reminders.
      R"sql(
ALTER TABLE conversations ADD COLUMN sla_started_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_stopped_at INTEGER;
ALTER TABLE conversations ADD COLUMN sla_reminded_at INTEGER;
ALTER TABLE conversations ADD COLUMN sla_breached_at INTEGER;
UPDATE conversations SET sla_started_at = created_at, sla_stopped_at = first_response_at,
  sla_reminded_at = created_at, sla_breached_at = created_at;
CREATE INDEX conversations_sla ON conversations (sla_started_at)
  WHERE state <> 'closed' AND sla_stopped_at IS NULL AND sla_breached_at IS NULL;
CREATE INDEX conversations_state ON conversations (state, channel);
CREATE INDEX conversations_updated ON conversations (updated_at);
ALTER TABLE messages ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
CREATE TABLE reply_templates (
  name TEXT PRIMARY KEY,
  text TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
      // 4: due deliveries per target, so a claim skips a rate-limited target's backlog with
      // one index seek instead of reading past every row of it (bench/README.md, issue 8).
      R"sql(
CREATE INDEX outbox_target_due ON outbox (target, next_attempt_at, id) WHERE state = 'pending';
)sql",
      // 5: inbound messages are unique per platform message id (not only per event id): a
      // signed payload replayed under a new delivery id is a repeat. Edits that share their
      // original's id have none. Of existing repeats the first keeps the id, the rest none.
      R"sql(
ALTER TABLE messages ADD COLUMN message_identity TEXT NOT NULL DEFAULT '';
UPDATE messages SET message_identity = platform_message_id
  WHERE direction = 'in' AND platform_message_id <> '' AND id = (
    SELECT MIN(first.id) FROM messages first WHERE first.platform = messages.platform
      AND first.platform_message_id = messages.platform_message_id
      AND first.platform_message_id <> '' AND first.direction = 'in');
CREATE UNIQUE INDEX messages_identity ON messages (platform, message_identity)
  WHERE message_identity <> '';
)sql",
      // 6: claims with an owner and a lease, so several instances share one outbox
      // (Store::ClaimDue). Rows left `sending` by an older duplex have no lease: the next
      // recovery settles them, as the restart of that version would have.
      R"sql(
ALTER TABLE outbox ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_lease ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_owner ON outbox (owner) WHERE state = 'sending';
)sql",
      // 7: leases for the jobs one instance runs at a time (core/lease.h): who holds each, until
      // when, and the state the job hands to its next holder. The delivery pacing state has a
      // table on PostgreSQL only: with SQLite it stays in memory (storage/memory_pacing.h).
      R"sql(
CREATE TABLE singletons (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
      // 8: the admins' alert about a failing credential is raised once for every instance and
      // every restart, until a delivery with that credential succeeds (DeliveryUpdate).
      R"sql(
CREATE TABLE credential_alerts (
  credential TEXT PRIMARY KEY,
  raised_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
  };
  return steps;
}

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(Steps().size());
}

int SchemaVersion(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

std::string NewerSchemaError(const std::string& path, int version, int latest) {
  return "database '" + path + "' has schema version " + std::to_string(version) +
         ", newer than this duplex understands (" + std::to_string(latest) +
         "): it was written by a newer duplex. Run that version again, or restore the backup "
         "made before the upgrade (" +
         path + ".v" + std::to_string(latest) + "-*.bak)";
}

std::string Migrate(SQLite::Database& db, const std::vector<std::string>& extra_steps) {
  std::vector<std::string> steps(Steps().begin(), Steps().end());
  steps.insert(steps.end(), extra_steps.begin(), extra_steps.end());
  const int latest = static_cast<int>(steps.size());
  int current = SchemaVersion(db);
  if (current > latest) return NewerSchemaError(db.getFilename(), current, latest);
  if (current == latest) return {};
  SQLite::Transaction tx(db);
  for (; current < latest; ++current) db.exec(steps[static_cast<std::size_t>(current)]);
  db.exec("PRAGMA user_version = " + std::to_string(latest));
  tx.commit();
  return {};
}

}  // namespace duplex::storage
