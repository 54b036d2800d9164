#include "storage/sqlite_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "core/conversation_rules.h"
#include "core/log.h"
#include "storage/maintenance.h"
#include "storage/migrations.h"
#include "storage/sqlite_rows.h"
#include "storage/wal_vfs.h"

namespace duplex {

using storage::BindOptionalInt;
using storage::ReadConversation;
using storage::ReadDelivery;
using storage::ReadMessage;

SqliteStore::SqliteStore(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
SqliteStore::~SqliteStore() {
  statements_.clear();
  db_.reset();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
    return Status::Invalid("synchronous must be FULL or NORMAL");
  }
  if (Status s = storage::MakeDatabaseFilePrivate(options.path); !s.ok()) return s;
  try {
    // The buffered WAL writes rely on the sync at every commit to reach the file before other
    // connections can see the commit (storage/wal_vfs.h), which only FULL guarantees.
    const char* vfs = options.synchronous == "FULL" ? storage::BufferedWalVfs() : nullptr;
    auto db = std::make_unique<SQLite::Database>(
        options.path.c_str(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX,
        0, vfs);
    db->setBusyTimeout(options.busy_timeout_ms);
    const int version = storage::SchemaVersion(*db);
    const int latest =
        storage::LatestSchemaVersion() + static_cast<int>(options.extra_migrations.size());
    if (version > latest)
      return Status::Invalid(storage::NewerSchemaError(options.path, version, latest));
    std::string mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal" && options.path != ":memory:") {
      return Status::Unavailable("database '" + options.path + "' cannot use WAL (got " + mode +
                                 ")");
    }
    db->exec("PRAGMA synchronous = " + options.synchronous);
    db->exec("PRAGMA foreign_keys = ON");
    if (version > 0 && version < latest && options.path != ":memory:") {
      const std::string backup = storage::UpgradeBackupPath(options.path, version);
      if (Status s = storage::CopyDatabase(*db, backup); !s.ok()) {
        return Status::Unavailable("not upgrading '" + options.path +
                                   "' without a backup: " + s.message());
      }
      log::Info(
          "database backed up before the schema upgrade",
          {{"database", options.path}, {"backup", backup}, {"from", version}, {"to", latest}});
    }
    std::string error = storage::Migrate(*db, options.extra_migrations);
    if (!error.empty()) return Status::Invalid(error);
    if (version > 0 && version < latest) {
      log::Info("database schema upgraded",
                {{"database", options.path}, {"from", version}, {"to", latest}});
    }
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot open database '" + options.path + "': " + e.what());
  }
}

storage::StmtHandle SqliteStore::Stmt(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(*db_, sql)).first;
  } else {
    it->second->reset();
    it->second->clearBindings();
  }
  return storage::StmtHandle(*it->second);
}

Status SqliteStore::Ping() {
  return storage::Guarded(mu_, "ping", [&]() -> Status {
    db_->execAndGet("SELECT 1");
    return Status::Ok();
  });
}

std::int64_t SqliteStore::InsertDelivery(const NewDelivery& d, UnixMs now) {
  if (d.kind == DeliveryKind::kChatUpdate) {
    // A root update renders the state as of when it runs: one still pending covers this one.
    auto pending = Stmt(
        "SELECT id FROM outbox WHERE state = 'pending' AND conversation_id = ?"
        " AND kind = 'chat_update' LIMIT 1");
    pending->bind(1, d.conversation_id);
    const bool found = pending->executeStep();
    if (!NeedsNewRootUpdate(found)) return pending->getColumn(0).getInt64();
  }
  auto q = Stmt(
      "INSERT INTO outbox (kind, conversation_id, message_id, target, payload, state, attempts,"
      " next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)");
  q->bind(1, ToString(d.kind));
  q->bind(2, d.conversation_id);
  q->bind(3, d.message_id);
  q->bind(4, d.target);
  q->bind(5, d.payload);
  q->bind(6, now);
  q->bind(7, now);
  q->bind(8, now);
  q->exec();
  return db_->getLastInsertRowid();
}

IngestOutcome SqliteStore::IngestOne(const IngestItem& item, UnixMs now) {
  const Mention& m = item.mention;
  IngestOutcome out;

  // Event ids are not always signed (GitHub's delivery header is not): the message's own id,
  // from the signed body, catches a replay under a new one. A sent reply carries its id too
  // (FinishDelivery), so the platform's webhook for it, or for an edit of it, is our echo.
  const std::string identity = m.edited ? "" : m.message_id;
  if (!m.message_id.empty()) {
    // The `<> ''` term lets SQLite use the partial index; without it, it scans every message.
    auto seen = Stmt(
        "SELECT direction FROM messages WHERE platform = ? AND message_identity = ?"
        " AND message_identity <> ''");
    seen->bind(1, m.platform);
    seen->bind(2, m.message_id);
    if (seen->executeStep()) {
      out.echo = seen->getColumn(0).getString() == "out";
      // An edit of a customer message shares its id and is stored next to it.
      if (out.echo || !m.edited) {
        out.duplicate = true;
        return out;
      }
    }
  }
  // A message stored under its identity is deduplicated by it (the unique index on
  // (platform, message_identity)): a resent event carries the same message. Only a message
  // without one (an edit, or a platform that gives no message id) needs its event id kept,
  // which spares every other mention a row and an index entry in its transaction.
  if (identity.empty()) {
    auto dedup = Stmt(
        "INSERT OR IGNORE INTO processed_events (platform, event_id, received_at) VALUES (?, ?, "
        "?)");
    dedup->bind(1, m.platform);
    dedup->bind(2, m.event_id);
    dedup->bind(3, now);
    if (dedup->exec() == 0) {
      out.duplicate = true;
      return out;
    }
  }

  out.muted = IsMuted(m);

  std::string state;
  std::string channel;
  {
    auto find = Stmt(
        "SELECT id, state, channel FROM conversations WHERE platform = ? AND conversation_key = ?");
    find->bind(1, m.platform);
    find->bind(2, m.conversation_key);
    if (find->executeStep()) {
      out.conversation_id = find->getColumn(0).getInt64();
      state = find->getColumn(1).getString();
      channel = find->getColumn(2).getString();
    }
  }
  if (out.conversation_id == 0 && !m.parent_message_id.empty()) {
    auto parent = Stmt(
        "SELECT c.id, c.state, c.channel FROM messages m JOIN conversations c"
        " ON c.id = m.conversation_id WHERE m.platform = ? AND m.platform_message_id = ?"
        " AND m.platform_message_id <> '' LIMIT 1");
    parent->bind(1, m.platform);
    parent->bind(2, m.parent_message_id);
    if (parent->executeStep()) {
      out.conversation_id = parent->getColumn(0).getInt64();
      state = parent->getColumn(1).getString();
      channel = parent->getColumn(2).getString();
    }
  }
  if (out.conversation_id == 0) {
    auto create = Stmt(
        "INSERT INTO conversations (platform, conversation_key, channel, route, state, author_id,"
        " author_handle, author_name, author_followers, account, created_at, updated_at,"
        " sla_started_at) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)");
    create->bind(1, m.platform);
    create->bind(2, m.conversation_key);
    create->bind(3, item.channel);
    create->bind(4, item.route);
    create->bind(5, m.author.id);
    create->bind(6, m.author.handle);
    create->bind(7, m.author.name);
    BindOptionalInt(*create, 8, m.author.followers);
    create->bind(9, m.account);
    create->bind(10, now);
    create->bind(11, now);
    create->bind(12, now);
    create->exec();
    out.conversation_id = db_->getLastInsertRowid();
    out.new_conversation = true;
    channel = item.channel;
  }

  const CustomerMessageEffect effect =
      out.new_conversation ? CustomerMessageEffect{}
                           : OnCustomerMessage(ParseConversationState(state), out.muted, m.edited);
  out.reopened = effect.reopens;

  auto msg = Stmt(
      "INSERT INTO messages (conversation_id, platform, direction, kind, event_id,"
      " platform_message_id, author_id, author_handle, author_name, author_followers, text,"
      " permalink, reply_target, muted, created_at, reopened, message_identity) VALUES (?, ?,"
      " 'in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  msg->bind(1, out.conversation_id);
  msg->bind(2, m.platform);
  msg->bind(3, ToString(m.kind));
  msg->bind(4, m.event_id);
  msg->bind(5, m.message_id);
  msg->bind(6, m.author.id);
  msg->bind(7, m.author.handle);
  msg->bind(8, m.author.name);
  BindOptionalInt(*msg, 9, m.author.followers);
  msg->bind(10, m.text);
  msg->bind(11, m.permalink);
  msg->bind(12, m.reply_target);
  msg->bind(13, out.muted ? 1 : 0);
  msg->bind(14, now);
  msg->bind(15, out.reopened ? 1 : 0);
  msg->bind(16, identity);
  msg->exec();
  out.message_id = db_->getLastInsertRowid();

  // A conversation created above is already up to date, and one whose state stays needs
  // only its time: the full statement names the state and SLA columns, so SQLite rewrites
  // their index entries even when the values do not change (bench/README.md, issue 8).
  if (effect.changes_state()) {
    Conversation c = *ReadConversationById(out.conversation_id);
    ApplyCustomerMessage(c, effect, now);
    SaveConversationState(c);
  } else if (!out.new_conversation) {
    auto touch = Stmt("UPDATE conversations SET updated_at = ? WHERE id = ?");
    touch->bind(1, now);
    touch->bind(2, out.conversation_id);
    touch->exec();
  }

  if (!out.muted) {
    InsertDelivery(
        {DeliveryKind::kChatPost, out.conversation_id, out.message_id, ChatTarget(channel), ""},
        now);
    if (effect.changes_state()) {
      InsertDelivery({DeliveryKind::kChatUpdate, out.conversation_id, 0, ChatTarget(channel), ""},
                     now);
    }
  }
  return out;
}

Result<std::vector<IngestOutcome>> SqliteStore::Ingest(const std::vector<IngestItem>& items,
                                                       UnixMs now) {
  return storage::Guarded(mu_, "ingest", [&]() -> Result<std::vector<IngestOutcome>> {
    std::vector<IngestOutcome> out;
    out.reserve(items.size());
    SQLite::Transaction tx(*db_);
    for (const auto& item : items) out.push_back(IngestOne(item, now));
    tx.commit();
    return out;
  });
}

Result<std::optional<Conversation>> SqliteStore::GetConversation(std::int64_t id) {
  return storage::Guarded(mu_, "get_conversation", [&]() -> Result<std::optional<Conversation>> {
    static const std::string kSql = std::string(storage::kConversationColumns) + " WHERE id = ?";
    auto q = Stmt(kSql.c_str());
    q->bind(1, id);
    if (!q->executeStep()) return std::optional<Conversation>();
    return std::optional<Conversation>(ReadConversation(*q));
  });
}

Result<std::optional<Conversation>> SqliteStore::FindConversationByThread(
    const std::string& channel, const std::string& thread) {
  return storage::Guarded(mu_, "find_conversation", [&]() -> Result<std::optional<Conversation>> {
    if (thread.empty()) return std::optional<Conversation>();
    static const std::string kSql =
        std::string(storage::kConversationColumns) + " WHERE channel = ? AND thread_ts = ?";
    auto q = Stmt(kSql.c_str());
    q->bind(1, channel);
    q->bind(2, thread);
    if (!q->executeStep()) return std::optional<Conversation>();
    return std::optional<Conversation>(ReadConversation(*q));
  });
}

Result<std::optional<StoredMessage>> SqliteStore::GetMessage(std::int64_t id) {
  return storage::Guarded(mu_, "get_message", [&]() -> Result<std::optional<StoredMessage>> {
    static const std::string kSql = std::string(storage::kMessageColumns) + " WHERE id = ?";
    auto q = Stmt(kSql.c_str());
    q->bind(1, id);
    if (!q->executeStep()) return std::optional<StoredMessage>();
    return std::optional<StoredMessage>(ReadMessage(*q));
  });
}

Result<std::vector<StoredMessage>> SqliteStore::ListMessages(std::int64_t conversation_id) {
  return storage::Guarded(mu_, "list_messages", [&]() -> Result<std::vector<StoredMessage>> {
    static const std::string kSql =
        std::string(storage::kMessageColumns) + " WHERE conversation_id = ? ORDER BY id";
    auto q = Stmt(kSql.c_str());
    q->bind(1, conversation_id);
    std::vector<StoredMessage> out;
    while (q->executeStep()) out.push_back(ReadMessage(*q));
    return out;
  });
}

Result<std::optional<StoredMessage>> SqliteStore::LatestMessageFrom(std::int64_t conversation_id,
                                                                    const std::string& author_id) {
  return storage::Guarded(
      mu_, "latest_message_from", [&]() -> Result<std::optional<StoredMessage>> {
        static const std::string kSql =
            std::string(storage::kMessageColumns) +
            " WHERE conversation_id = ? AND direction = 'in' AND author_id = ? AND muted = 0"
            " ORDER BY id DESC LIMIT 1";
        auto q = Stmt(kSql.c_str());
        q->bind(1, conversation_id);
        q->bind(2, author_id);
        if (!q->executeStep()) return std::optional<StoredMessage>();
        return std::optional<StoredMessage>(ReadMessage(*q));
      });
}

bool SqliteStore::TakeClaim(const EventClaim& claim, UnixMs now) {
  auto q = Stmt(
      "INSERT OR IGNORE INTO processed_events (platform, event_id, received_at) VALUES (?, ?, ?)");
  q->bind(1, claim.source);
  q->bind(2, claim.id);
  q->bind(3, now);
  return q->exec() > 0;
}

Result<QueuedReply> SqliteStore::QueueReply(const NewReply& reply, UnixMs now) {
  return storage::Guarded(mu_, "queue_reply", [&]() -> Result<QueuedReply> {
    SQLite::Transaction tx(*db_);
    if (reply.claim && !TakeClaim(*reply.claim, now)) {
      QueuedReply repeat;
      repeat.repeat = true;
      return repeat;
    }
    std::string platform;
    {
      auto q = Stmt("SELECT platform FROM conversations WHERE id = ?");
      q->bind(1, reply.conversation_id);
      if (!q->executeStep()) {
        return Status::NotFound("no conversation #" + std::to_string(reply.conversation_id));
      }
      platform = q->getColumn(0).getString();
    }
    {
      auto q =
          Stmt("SELECT 1 FROM messages WHERE id = ? AND conversation_id = ? AND direction = 'in'");
      q->bind(1, reply.parent_id);
      q->bind(2, reply.conversation_id);
      if (!q->executeStep()) {
        return Status::NotFound("message " + std::to_string(reply.parent_id) +
                                " is not a customer message of conversation #" +
                                std::to_string(reply.conversation_id));
      }
    }
    auto ins = Stmt(
        "INSERT INTO messages (conversation_id, platform, direction, chat_user, text, parent_id,"
        " status, created_at) VALUES (?, ?, 'out', ?, ?, ?, 'queued', ?)");
    ins->bind(1, reply.conversation_id);
    ins->bind(2, platform);
    ins->bind(3, reply.chat_user);
    ins->bind(4, reply.text);
    ins->bind(5, reply.parent_id);
    ins->bind(6, now);
    ins->exec();
    QueuedReply out;
    out.message_id = db_->getLastInsertRowid();
    out.delivery_id = InsertDelivery(
        {DeliveryKind::kPlatformReply, reply.conversation_id, out.message_id, reply.target, ""},
        now);
    auto touch = Stmt("UPDATE conversations SET updated_at = ? WHERE id = ?");
    touch->bind(1, now);
    touch->bind(2, reply.conversation_id);
    touch->exec();
    tx.commit();
    return out;
  });
}

}  // namespace duplex
