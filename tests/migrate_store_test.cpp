// `duplex migrate-store` below the command line (storage/migrate_store.h): a SQLite store
// filled through the Store port is copied into PostgreSQL and read back through PgStore; the
// refusals leave both sides as they were; a failure half-way keeps nothing.
#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>

#include "chat/slack/slack_poster.h"
#include "commands/command_service.h"
#include "platforms/generic/generic_connector.h"
#include "storage/migrate_store.h"
#include "storage/migrations.h"
#include "storage/pg_store.h"
#include "storage/sqlite_store.h"
#include "support/claims.h"
#include "support/fake_clock.h"
#include "support/pg_test_db.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {
namespace {

namespace fs = std::filesystem;

constexpr UnixMs kNow = 1'700'000'000'000;
constexpr const char* kOldOwner = "old-host-4242-abcd";  // the SQLite process that claimed

std::string Opt(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : "null";
}

std::string Show(const Conversation& c) {
  std::ostringstream o;
  o << "conversation #" << c.id << " " << c.platform << "/" << c.conversation_key
    << " channel=" << c.channel << " thread=" << c.chat_thread << " route=" << c.route
    << " state=" << ToString(c.state) << " assignee=" << c.assignee << " author=" << c.author.id
    << "/" << c.author.handle << "/" << c.author.name << "/" << Opt(c.author.followers)
    << " account=" << c.account << " created=" << c.created_at << " updated=" << c.updated_at
    << " first_response=" << Opt(c.first_response_at) << " sla=" << c.sla_started_at << "/"
    << Opt(c.sla_stopped_at) << "/" << Opt(c.sla_reminded_at) << "/" << Opt(c.sla_breached_at);
  return o.str();
}

std::string Show(const StoredMessage& m) {
  std::ostringstream o;
  o << "message #" << m.id << " conv=" << m.conversation_id << " " << ToString(m.direction) << " "
    << ToString(m.kind) << " event=" << m.event_id << " pid=" << m.platform_message_id
    << " author=" << m.author.id << "/" << m.author.handle << "/" << m.author.name << "/"
    << Opt(m.author.followers) << " chat_user=" << m.chat_user << " text=" << m.text
    << " link=" << m.permalink << " target=" << m.reply_target << " parent=" << m.parent_id
    << " status=" << m.status << " muted=" << m.muted << " reopened=" << m.reopened
    << " post=" << m.chat_post << " created=" << m.created_at;
  return o.str();
}

std::string Show(const Delivery& d) {
  std::ostringstream o;
  o << "delivery #" << d.id << " " << ToString(d.kind) << " conv=" << d.conversation_id
    << " msg=" << d.message_id << " target=" << d.target << " payload=" << d.payload
    << " state=" << ToString(d.state) << " attempts=" << d.attempts << " next=" << d.next_attempt_at
    << " error=" << d.last_error << " created=" << d.created_at << " owner=" << d.owner
    << " lease=" << d.lease_until;
  return o.str();
}

std::string Show(const Route& r) {
  std::ostringstream o;
  o << "route " << r.name << " channel=" << r.channel << " platforms=";
  for (const auto& p : r.platforms) o << p << ",";
  o << " kinds=";
  for (auto k : r.kinds) o << ToString(k) << ",";
  o << " keywords=";
  for (const auto& k : r.keywords) o << k << ",";
  o << " regex=" << r.regex << " min_followers=" << Opt(r.min_followers)
    << " priority=" << r.priority << " enabled=" << r.enabled;
  return o.str();
}

template <typename T>
T Must(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(*r);
}

// Everything a store holds, as the Store port shows it, one line per record: conversations
// and deliveries by id from 1 up to the first missing one.
std::vector<std::string> Dump(Store& store) {
  std::vector<std::string> lines;
  for (std::int64_t id = 1;; ++id) {
    auto c = Must(store.GetConversation(id));
    if (!c) break;
    lines.push_back(Show(*c));
    for (const auto& m : Must(store.ListMessages(id))) lines.push_back(Show(m));
  }
  for (std::int64_t id = 1;; ++id) {
    auto d = Must(store.GetDelivery(id));
    if (!d) break;
    lines.push_back(Show(*d));
  }
  for (const auto& r : Must(store.ListRoutes())) lines.push_back(Show(r));
  for (const auto& m : Must(store.ListMutes())) {
    lines.push_back("mute " + m.platform + "/" + m.author + " by " + m.created_by + " at " +
                    std::to_string(m.created_at));
  }
  for (const auto& a : Must(store.ListAdmins())) {
    lines.push_back("admin " + a.user_id + " by " + a.added_by + " at " +
                    std::to_string(a.added_at));
  }
  for (const auto& a : Must(store.RecentAudit(1000))) {
    lines.push_back("audit #" + std::to_string(a.id) + " " + std::to_string(a.at) + " " +
                    a.user_id + " " + a.command + " " + ToString(a.result) + " " + a.detail);
  }
  lines.push_back("lease state x-token-refresh=" + Must(store.LeaseState("x-token-refresh")));
  for (const auto& t : Must(store.ListTemplates())) {
    lines.push_back("template " + t.name + "=" + t.text + " by " + t.created_by + " at " +
                    std::to_string(t.updated_at));
  }
  for (const auto& q : Must(store.ListQueue("", 1000))) {
    lines.push_back("queue #" + std::to_string(q.conversation.id) + " since " +
                    std::to_string(q.waiting_since));
  }
  OutboxStats stats = Must(store.GetOutboxStats());
  lines.push_back("outbox pending=" + std::to_string(stats.pending) + " dead=" +
                  std::to_string(stats.dead) + " unknown=" + std::to_string(stats.unknown) +
                  " oldest=" + std::to_string(stats.oldest_pending_created_at));
  lines.push_back("next due " + Opt(Must(store.NextDueAt())));
  return lines;
}

void CheckSameLines(const std::vector<std::string>& expected,
                    const std::vector<std::string>& actual) {
  CHECK(expected.size() == actual.size());
  for (std::size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
    CHECK(expected[i] == actual[i]);
  }
}

IngestItem From(const std::string& event_id, const std::string& conversation,
                const std::string& text, const std::string& handle) {
  IngestItem item = test::MentionItem(event_id, conversation, text);
  item.mention.author = {"id-" + handle, handle, handle, 5};
  return item;
}

std::int64_t OpenerOf(Store& store, std::int64_t conversation) {
  return Must(store.ListMessages(conversation)).front().id;
}

// A day of work on SQLite, through the Store port: conversations in every state, messages in
// and out, notes, a muted author, deliveries done, pending, dead and still claimed by the
// process that stopped, SLA alerts, routes, mutes, admins, the audit log and templates.
void FillSqlite(Store& s) {
  REQUIRE(Must(s.AddMute({"generic", "Spammer", "U1", kNow})));
  auto in = Must(s.Ingest({From("e1", "conv-a", "where is my order?\ttab and \\ backslash", "ana"),
                           From("e2", "conv-b", "refund please\nsecond line", "bob"),
                           From("e3", "conv-c", "buy followers", "spammer"),
                           From("e4", "conv-d", "héllo wörld ✓", "cleo")},
                          kNow));
  REQUIRE(in.size() == 4);
  CHECK(in[2].muted);
  test::PostAllChat(s, kNow + 10);
  Must(s.Ingest({From("e5", "conv-a", "any news?", "ana")}, kNow + 20));
  REQUIRE(Must(s.ClaimEvent("slack-event", "Ev1", kNow + 30)));

  // #1: a reply sent; #2: a reply that died; #4: a reply still claimed by the old process.
  auto sent =
      Must(s.QueueReply({1, OpenerOf(s, 1), "U1", "on its way", "generic:", {}}, kNow + 40));
  auto died = Must(s.QueueReply({2, OpenerOf(s, 2), "U2", "refunded", "generic:", {}}, kNow + 40));
  auto held = Must(s.QueueReply({4, OpenerOf(s, 4), "U1", "hello", "generic:", {}}, kNow + 40));
  test::PostAllChat(s, kNow + 50);
  test::ClaimOne(s, sent.delivery_id, kNow + 60);
  DeliveryUpdate done = test::Finish(sent.delivery_id, DeliveryState::kDone);
  done.message_remote_id = "remote-1";
  done.message_status = "sent";
  done.first_response = true;
  REQUIRE(s.FinishDelivery(done, kNow + 61).ok());
  test::ClaimOne(s, died.delivery_id, kNow + 60);
  DeliveryUpdate dead = test::Finish(died.delivery_id, DeliveryState::kDead);
  dead.error = "HTTP 500: upstream said no";
  dead.message_status = "failed";
  // It failed for a revoked token: the admins' alert is raised, and queued.
  dead.credential = "generic";
  dead.credential_alert =
      NewDelivery{DeliveryKind::kChatNotice, 0, 0, "chat:C-ADMIN", "generic's token is revoked"};
  REQUIRE(s.FinishDelivery(dead, kNow + 62).ok());
  test::ClaimOne(s, held.delivery_id, kNow + 60, kOldOwner);

  Must(s.EditConversation({2, ConversationOp::kAssign, "U2", "assigned to U2"}, kNow + 70));
  Must(s.EditConversation({1, ConversationOp::kClose, "", "closed"}, kNow + 71));
  REQUIRE(Must(s.AddNote({2, "U2", "called them", "note added", {}}, kNow + 72)) > 0);
  REQUIRE(Must(s.RecordSlaAlert({4, false, kNow, "reminder"}, kNow + 73)));
  REQUIRE(Must(s.RecordSlaAlert({4, true, kNow, "breach"}, kNow + 74)));

  Route vip;
  vip.name = "vip";
  vip.channel = "C-VIP";
  vip.platforms = {"generic", "x"};
  vip.kinds = {MentionKind::kMention, MentionKind::kDm};
  vip.keywords = {"refund", "order"};
  vip.regex = "(?i)urgent";
  vip.min_followers = 1000;
  vip.priority = 5;
  REQUIRE_FALSE(Must(s.PutRoute(vip, kNow + 80)));
  Route quiet;
  quiet.name = "quiet";
  quiet.channel = "C-QUIET";
  REQUIRE_FALSE(Must(s.PutRoute(quiet, kNow + 81)));
  REQUIRE(Must(s.SetRouteEnabled("quiet", false, kNow + 82)));
  REQUIRE(Must(s.AddAdmin({"U9", "U1", kNow + 83})));
  const std::int64_t audit = Must(s.AppendAudit({0, kNow + 84, "U9", "route add vip", {}, ""}));
  REQUIRE(s.FinishAudit(audit, AuditResult::kOk, "route vip added").ok());
  Must(s.AppendAudit({0, kNow + 85, "U7", "admin add U7", AuditResult::kRefused, "not an admin"}));
  REQUIRE_FALSE(Must(s.PutTemplate({"thanks", "Thanks, {name}!", "U1", kNow + 86})));
  REQUIRE_FALSE(Must(s.PutTemplate({"sorry", "Sorry for the wait", "U2", kNow + 87})));
  // A singleton's lease and the state it keeps (X's tokens live there on PostgreSQL).
  REQUIRE(Must(s.TakeLease("x-token-refresh", "old-host-1-abc", kNow + 88, 60'000)));
  REQUIRE(Must(s.SaveLeaseState("x-token-refresh", "old-host-1-abc", kNow + 89,
                                R"({"access_token":"at-1","refresh_token":"rt-1"})")));
}

struct FilledSqlite {
  FilledSqlite() {
    auto s = SqliteStore::Open({path});
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    FillSqlite(**s);
    before = Dump(**s);
  }
  test::TempDir dir;
  std::string path = dir.File("duplex.db");
  std::vector<std::string> before;
};

std::int64_t PgCount(const std::string& url, const std::string& table) {
  return std::stoll(test::PgQuery(url, "SELECT count(*) FROM " + table));
}

// `/duplex <text>` typed by U1 through the real command service, on `store`.
std::string Command(Store& store, const Clock& clock, const std::string& text) {
  SlackDialect dialect;
  ConnectorMap connectors;
  GenericConfig g;
  g.secret = "whsec_c2VjcmV0";
  g.reply_url = "http://127.0.0.1:9/replies";
  connectors["generic"] = std::make_unique<GenericConnector>(g);
  CommandDeps deps;
  deps.store = &store;
  deps.clock = &clock;
  deps.dialect = &dialect;
  deps.connectors = &connectors;
  CommandService commands(deps);
  CommandContext ctx;
  ctx.team_id = "T1";
  ctx.channel_id = "C1";
  ctx.user_id = "U1";
  ctx.command = "/duplex";
  ctx.text = text;
  return commands.Execute(ctx).text;
}

}  // namespace

TEST_CASE(
    "migrate-store: every table reaches PostgreSQL as SQLite held it — ids, states, claims, "
    "SLA alerts, administration — and PostgreSQL goes on after the copied ids") {
  if (test::SkipWithoutPostgres()) return;
  FilledSqlite source;
  test::PgTestDatabase pg;

  auto report = storage::MigrateSqliteToPostgres(source.path, pg.url());
  REQUIRE_MESSAGE(report.ok(), report.status().message());
  CHECK(report->schema_version == storage::LatestSchemaVersion());

  // Every table of the SQLite schema was copied and counted on both sides.
  std::vector<std::string> sqlite_tables;
  {
    SQLite::Database db(source.path, SQLite::OPEN_READONLY);
    SQLite::Statement q(db,
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                        "'sqlite_%' ORDER BY rowid");
    while (q.executeStep()) sqlite_tables.push_back(q.getColumn(0).getString());
  }
  std::vector<std::string> copied;
  for (const auto& t : report->tables) {
    copied.push_back(t.name);
    CHECK_MESSAGE(t.source_rows == t.target_rows, t.name);
    CHECK_MESSAGE(t.target_rows == PgCount(pg.url(), t.name), t.name);
    CHECK_MESSAGE(t.source_rows > 0, "FillSqlite leaves table " << t.name << " empty");
  }
  CHECK(copied == sqlite_tables);
  for (const char* known :
       {"conversations", "messages", "processed_events", "outbox", "routes", "mutes", "admins",
        "audit_log", "reply_templates", "singletons", "credential_alerts"}) {
    CHECK_MESSAGE(std::find(copied.begin(), copied.end(), known) != copied.end(), known);
  }

  // The source is as it was, and PostgreSQL reads back the same through the Store port.
  auto sqlite = SqliteStore::Open({source.path});
  REQUIRE(sqlite.ok());
  CheckSameLines(source.before, Dump(**sqlite));
  auto store = test::OpenPgStore(pg.url());
  CheckSameLines(source.before, Dump(*store));

  // Dedup state came along: a repeated webhook and a repeated Slack event change nothing.
  auto repeat = Must(store->Ingest({From("e1", "conv-a", "where is my order?", "ana")}, kNow + 90));
  CHECK(repeat[0].duplicate);
  CHECK_FALSE(Must(store->ClaimEvent("slack-event", "Ev1", kNow + 90)));
  // A muted author stays muted, whatever the case.
  auto muted = Must(store->Ingest({From("e6", "conv-c", "again", "SPAMMER")}, kNow + 90));
  CHECK(muted[0].muted);
  // A singleton's lease stands for its holder until it runs out, as it did in the file.
  CHECK_FALSE(Must(store->TakeLease("x-token-refresh", "new-host-2-def", kNow + 90, 60'000)));
  CHECK(Must(store->TakeLease("x-token-refresh", "new-host-2-def", kNow + 88 + 60'000, 60'000)));

  // The claim of the process that stopped stands until its lease ends, then is settled as any
  // restart would: the reply is flagged unknown, never sent again by itself.
  CHECK(Must(store->RenewLeases(kOldOwner, kNow + 95, test::kTestLeaseMs)) == 1);
  CHECK(Must(store->RecoverExpired(
            kNow + 95 + test::kTestLeaseMs + 1,
            [](const StoredMessage&, std::int64_t) { return std::string("unknown"); })) == 1);

  // New rows get fresh ids after the copied ones, in every table with an id.
  const std::int64_t max_conversation = 4;
  auto fresh =
      Must(store->Ingest({From("e7", "conv-new", "first on PostgreSQL", "dan")}, kNow + 99));
  CHECK(fresh[0].new_conversation);
  CHECK(fresh[0].conversation_id == max_conversation + 1);
  const auto& tables = report->tables;
  auto next_id = [&](const std::string& name) {
    for (const auto& t : tables) {
      if (t.name == name) return t.next_id;
    }
    return std::int64_t{-1};
  };
  CHECK(next_id("conversations") == max_conversation + 1);
  CHECK(muted[0].message_id == next_id("messages"));  // the first message stored on PostgreSQL
  CHECK(next_id("processed_events") == 0);            // no id column
  const std::int64_t audit = Must(store->AppendAudit({0, kNow + 99, "U9", "x", {}, ""}));
  CHECK(audit == next_id("audit_log"));

  // Staff commands work on copied conversations and on new ones.
  FakeClock clock(kNow + 100);
  const std::string answer = Command(*store, clock, "reply 2 migrated and answered");
  CHECK_MESSAGE(answer.find("Queued reply to #2") != std::string::npos, answer);
  const auto messages = Must(store->ListMessages(2));
  REQUIRE_FALSE(messages.empty());
  CHECK(messages.back().text == "migrated and answered");
  CHECK(messages.back().direction == MessageDirection::kOut);
  const std::string show = Command(*store, clock, "show 1");
  CHECK_MESSAGE(show.find("on its way") != std::string::npos, show);
  const std::string assigned = Command(*store, clock, "assign 5 me");
  CHECK_MESSAGE(assigned.find("Assigned #5") != std::string::npos, assigned);
  CHECK(Must(store->GetConversation(5))->assignee == "U1");
}

TEST_CASE(
    "migrate-store: ids SQLite handed out and later deleted are not handed out again on "
    "PostgreSQL") {
  if (test::SkipWithoutPostgres()) return;
  FilledSqlite source;
  {
    SQLite::Database db(source.path, SQLite::OPEN_READWRITE);
    db.exec("UPDATE sqlite_sequence SET seq = 100 WHERE name = 'conversations'");
  }
  test::PgTestDatabase pg;
  auto report = storage::MigrateSqliteToPostgres(source.path, pg.url());
  REQUIRE_MESSAGE(report.ok(), report.status().message());
  auto store = test::OpenPgStore(pg.url());
  auto fresh = Must(store->Ingest({From("e9", "conv-new", "hi", "dan")}, kNow + 99));
  CHECK(fresh[0].conversation_id == 101);
}

TEST_CASE(
    "migrate-store: a PostgreSQL database with a row in any copied table is refused, named, "
    "and left as it was") {
  if (test::SkipWithoutPostgres()) return;
  FilledSqlite source;
  test::PgTestDatabase pg;
  {
    auto store = test::OpenPgStore(pg.url());
    REQUIRE(Must(store->AddAdmin({"U-already-there", "U1", kNow})));
  }
  auto report = storage::MigrateSqliteToPostgres(source.path, pg.url());
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().code() == StatusCode::kInvalidArgument);
  CHECK_MESSAGE(report.status().message().find("table admins") != std::string::npos,
                report.status().message());
  CHECK(PgCount(pg.url(), "admins") == 1);
  CHECK(PgCount(pg.url(), "conversations") == 0);
  CHECK(PgCount(pg.url(), "messages") == 0);
}

TEST_CASE(
    "migrate-store: a failure half-way keeps nothing on PostgreSQL, and a second run after the "
    "cause is fixed copies everything") {
  if (test::SkipWithoutPostgres()) return;
  FilledSqlite source;
  test::PgTestDatabase pg;
  test::OpenPgStore(pg.url());  // migrated, so a constraint can be added before the copy
  // reply_templates is copied after conversations, messages and the outbox.
  test::PgQuery(pg.url(),
                "ALTER TABLE reply_templates ADD CONSTRAINT no_sorry CHECK (name <> 'sorry')");
  auto failed = storage::MigrateSqliteToPostgres(source.path, pg.url());
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == StatusCode::kUnavailable);
  CHECK_MESSAGE(failed.status().message().find("no_sorry") != std::string::npos,
                failed.status().message());
  CHECK_MESSAGE(failed.status().message().find("nothing was kept") != std::string::npos,
                failed.status().message());
  for (const char* table :
       {"conversations", "messages", "processed_events", "outbox", "routes", "mutes", "admins",
        "audit_log", "reply_templates", "singletons", "credential_alerts"}) {
    CHECK_MESSAGE(PgCount(pg.url(), table) == 0, table);
  }

  test::PgQuery(pg.url(), "ALTER TABLE reply_templates DROP CONSTRAINT no_sorry");
  auto second = storage::MigrateSqliteToPostgres(source.path, pg.url());
  REQUIRE_MESSAGE(second.ok(), second.status().message());
  CheckSameLines(source.before, Dump(*test::OpenPgStore(pg.url())));
}

TEST_CASE(
    "migrate-store: rows that do not all arrive are caught by the counts before the commit, "
    "and nothing is kept") {
  if (test::SkipWithoutPostgres()) return;
  FilledSqlite source;
  test::PgTestDatabase pg;
  test::OpenPgStore(pg.url());
  // A trigger that silently drops every row COPY gives it (a target that is not what it seems).
  test::PgQuery(pg.url(),
                "CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RETURN NULL; END $$; "
                "CREATE TRIGGER swallow BEFORE INSERT ON mutes FOR EACH ROW "
                "EXECUTE FUNCTION swallow()");
  auto r = storage::MigrateSqliteToPostgres(source.path, pg.url());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInternal);
  CHECK_MESSAGE(
      r.status().message().find("mutes: 1 in SQLite, 0 in PostgreSQL") != std::string::npos,
      r.status().message());
  CHECK(PgCount(pg.url(), "conversations") == 0);
  CHECK(PgCount(pg.url(), "messages") == 0);
}

TEST_CASE(
    "migrate-store: refused before anything is written — a source that does not exist (not "
    "created), a target that is not a PostgreSQL URL, a file that is not a duplex database, and "
    "one newer than this duplex") {
  test::TempDir dir;
  const std::string missing = dir.File("missing.db");
  // No server is needed: the source is checked before the target is reached.
  auto r = storage::MigrateSqliteToPostgres(missing, "postgresql://u:secret@127.0.0.1:1/db");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("does not exist") != std::string::npos);
  CHECK_FALSE(fs::exists(missing));
  CHECK_FALSE(fs::exists(missing + "-wal"));

  FilledSqlite source;
  for (const char* url : {"sqlite:///tmp/x.db", "/var/lib/duplex/other.db", "mysql://u@h/db"}) {
    auto bad = storage::MigrateSqliteToPostgres(source.path, url);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == StatusCode::kInvalidArgument);
    CHECK(bad.status().message().find("must be a PostgreSQL URL") != std::string::npos);
  }

  test::WriteFile(dir.File("empty.db"), "");
  auto empty = storage::MigrateSqliteToPostgres(dir.File("empty.db"), "postgresql://h/db");
  CHECK(empty.status().code() == StatusCode::kInvalidArgument);
  CHECK(empty.status().message().find("not a duplex database") != std::string::npos);
  CHECK(fs::file_size(dir.File("empty.db")) == 0);  // not given a schema

  test::WriteFile(dir.File("text.db"), std::string(4096, 'x'));
  auto text = storage::MigrateSqliteToPostgres(dir.File("text.db"), "postgresql://h/db");
  CHECK(text.status().code() == StatusCode::kInvalidArgument);
  CHECK(text.status().message().find("cannot be read as a SQLite database") != std::string::npos);

  {
    SQLite::Database db(source.path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 99");
  }
  auto newer = storage::MigrateSqliteToPostgres(source.path, "postgresql://h/db");
  CHECK(newer.status().code() == StatusCode::kInvalidArgument);
  CHECK(newer.status().message().find("schema version 99") != std::string::npos);
}

TEST_CASE("migrate-store: a source another connection has open (a running duplex) is refused") {
  if (test::SkipWithoutPostgres()) return;
  FilledSqlite source;
  test::PgTestDatabase pg;
  auto running = SqliteStore::Open({source.path});
  REQUIRE(running.ok());
  auto r = storage::MigrateSqliteToPostgres(source.path, pg.url());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kUnavailable);
  CHECK_MESSAGE(r.status().message().find("in use by another process") != std::string::npos,
                r.status().message());
  CHECK(PgCount(pg.url(), "conversations") == 0);
  running->reset();
  CHECK(storage::MigrateSqliteToPostgres(source.path, pg.url()).ok());
}

TEST_CASE(
    "migrate-store: an older SQLite database is upgraded first, with its copy aside, as serve "
    "would, then copied") {
  if (test::SkipWithoutPostgres()) return;
  test::TempDir dir;
  const std::string path = dir.File("duplex.db");
  fs::copy_file(std::string(DUPLEX_FIXTURES_DIR) + "/db/v1.db", path);
  test::PgTestDatabase pg;
  auto report = storage::MigrateSqliteToPostgres(path, pg.url());
  REQUIRE_MESSAGE(report.ok(), report.status().message());
  bool backed_up = false;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    backed_up = backed_up || entry.path().filename().string().rfind("duplex.db.v1-", 0) == 0;
  }
  CHECK(backed_up);
  auto store = test::OpenPgStore(pg.url());
  auto first = Must(store->GetConversation(1));
  REQUIRE(first.has_value());
  CHECK(first->conversation_key == "order-1042");
  CHECK(Must(store->ListMessages(1)).size() == 3);
}

}  // namespace duplex
