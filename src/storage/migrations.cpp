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
      // 2 (staff workflow): SLA clock per cycle and its alerts, the message that reopened a
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
  };
  return steps;
}

int UserVersion(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Steps().size()); }

std::string Migrate(SQLite::Database& db) {
  const int latest = LatestSchemaVersion();
  int current = UserVersion(db);
  if (current > latest) {
    return "the database has schema version " + std::to_string(current) +
           ", newer than this duplex understands (" + std::to_string(latest) +
           "); run a newer duplex or restore a backup";
  }
  while (current < latest) {
    SQLite::Transaction tx(db);
    db.exec(Steps()[static_cast<std::size_t>(current)]);
    ++current;
    db.exec("PRAGMA user_version = " + std::to_string(current));
    tx.commit();
  }
  return {};
}

}  // namespace duplex::storage
