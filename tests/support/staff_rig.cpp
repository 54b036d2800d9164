#include "support/staff_rig.h"

#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <nlohmann/json.hpp>

#include "platforms/generic/generic_connector.h"
#include "storage/pg_store.h"
#include "storage/sqlite_store.h"

namespace duplex::test {

Result<QueuedReply> QueueReplyToOpener(Store& store, std::int64_t conversation,
                                       const std::string& user, const std::string& text,
                                       const std::string& target, UnixMs now) {
  auto c = store.GetConversation(conversation);
  if (!c.ok()) return c.status();
  if (!c->has_value()) return Status::NotFound("no conversation");
  auto parent = ReplyParent(store, **c);
  if (!parent.ok()) return parent.status();
  if (!parent->has_value()) return Status::NotFound("no message to answer");
  return store.QueueReply({conversation, (*parent)->id, user, text, target, {}}, now);
}

namespace {
constexpr const char* kSqliteFile = "staff.db";
}  // namespace

StaffRig::StaffRig(StoreKind kind)
    : StaffRig([kind] {
        StaffRigOptions o;
        o.store = kind;
        return o;
      }()) {}

StaffRig::StaffRig(StaffRigOptions opts) : options(std::move(opts)) {
  if (options.store == StoreKind::kPostgres) {
    if (SkipWithoutPostgres()) return;
    pg = std::make_unique<PgTestDatabase>();
    PgStoreOptions store_options;
    store_options.connection.url = pg->url();
    store_options.extra_migrations = options.extra_migrations;
    auto opened = PgStore::Open(store_options);
    REQUIRE_MESSAGE(opened.ok(), opened.status().message());
    store = std::move(*opened);
  } else {
    SqliteOptions store_options{dir.File(kSqliteFile)};
    store_options.extra_migrations = options.extra_migrations;
    auto opened = SqliteStore::Open(store_options);
    REQUIRE_MESSAGE(opened.ok(), opened.status().message());
    store = std::move(*opened);
  }
  GenericConfig g;
  g.secret = "whsec_c2VjcmV0";
  g.reply_url = "http://127.0.0.1:9/replies";
  connectors["generic"] = std::make_unique<GenericConnector>(g);
  limiter.SetLimit("", {1000, 1000});
  DeliveryDeps d;
  d.store = store.get();
  d.clock = &clock;
  d.chat = &chat;
  d.connectors = &connectors;
  d.http = &http;
  d.limiter = &limiter;
  d.seed = 7;
  d.retry.jitter = 0;
  d.vip_followers = options.vip_followers;
  d.sla = options.sla;
  engine = std::make_unique<DeliveryEngine>(d);
  CommandDeps cd;
  cd.store = store.get();
  cd.clock = &clock;
  cd.dialect = &chat.Dialect();
  cd.connectors = &connectors;
  cd.sla = options.sla;
  cd.vip_followers = options.vip_followers;
  commands = std::make_unique<CommandService>(cd);
  SlaSchedulerDeps sd;
  sd.store = store.get();
  sd.clock = &clock;
  sd.dialect = &chat.Dialect();
  sd.sla = options.sla;
  scheduler = std::make_unique<SlaScheduler>(sd);
}

std::int64_t StaffRig::Ingest(const std::string& event_id, const std::string& conversation,
                              const std::string& handle, std::int64_t followers,
                              const std::string& channel, const std::string& route) {
  Mention m;
  m.platform = "generic";
  m.event_id = event_id;
  m.message_id = event_id;
  m.conversation_key = conversation;
  m.kind = MentionKind::kDirect;
  m.text = "text " + event_id;
  m.author = {"id-" + handle, handle, "Name " + handle, followers};
  m.permalink = "https://crm.example.com/m/" + event_id;
  m.reply_target = nlohmann::json{{"conversation", conversation}, {"in_reply_to", event_id}}.dump();
  auto r = store->Ingest({{m, channel, route}}, clock.NowMs());
  REQUIRE(r.ok());
  return (*r)[0].conversation_id;
}

std::string StaffRig::Command(const std::string& text, const std::string& user,
                              const std::string& channel) {
  CommandContext ctx;
  ctx.team_id = "T1";
  ctx.channel_id = channel;
  ctx.user_id = user;
  ctx.command = "/duplex";
  ctx.text = text;
  return commands->Execute(ctx).text;
}

int StaffRig::Deliver() {
  int total = 0;
  for (int i = 0; i < 100; ++i) {
    int ran = engine->RunDue();
    if (ran == 0) break;
    total += ran;
  }
  return total;
}

void StaffRig::ReplyAndDeliver(std::int64_t conversation, const std::string& user) {
  auto q = QueueReplyToOpener(*store, conversation, user, "a reply", "generic:", clock.NowMs());
  REQUIRE(q.ok());
  Deliver();
}

Conversation StaffRig::Get(std::int64_t conversation) {
  auto c = store->GetConversation(conversation);
  REQUIRE(c.ok());
  REQUIRE(c->has_value());
  return **c;
}

std::vector<std::string> StaffRig::Notices() const {
  std::vector<std::string> out;
  for (const auto& p : chat.posts()) {
    if (!p.card) out.push_back(p.text);
  }
  return out;
}

std::string StaffRig::LastStateLine() const {
  auto updates = chat.updates();
  if (updates.empty() || !updates.back().second.card) return "";
  return updates.back().second.card->state_line;
}

std::string StaffRig::Sql(const std::string& sql) {
  if (pg) return PgQuery(pg->url(), sql);
  SQLite::Database db(dir.File(kSqliteFile), SQLite::OPEN_READWRITE);
  SQLite::Statement q(db, sql);
  return q.executeStep() ? q.getColumn(0).getString() : "";
}

}  // namespace duplex::test
