// The administration role, on both stores (a contract: tests/support/store_factory.h):
// routes, mutes (and their effect on ingest), admins added from chat, the audit log;
// everything survives a reopen.
#include <doctest/doctest.h>

#include "storage/migrations.h"
#include "storage/sqlite_store.h"
#include "support/claims.h"
#include "support/fakes.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {
namespace {

std::unique_ptr<SqliteStore> OpenStore(const std::string& path) {
  SqliteOptions o;
  o.path = path;
  auto s = SqliteStore::Open(o);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(*s);
}

Route FullRoute() {
  Route r;
  r.name = "support";
  r.channel = "C0SUPPORT";
  r.platforms = {"x", "meta"};
  r.kinds = {MentionKind::kDirect, MentionKind::kDm};
  r.keywords = {"late order", "remboursement", "退款"};
  r.regex = R"((?i)\border\s+#?\d+)";
  r.min_followers = 250;
  r.priority = 7;
  r.enabled = true;
  return r;
}

IngestItem Item(const std::string& event, const std::string& handle, const std::string& id,
                const std::string& platform = "generic") {
  IngestItem item;
  item.mention.platform = platform;
  item.mention.event_id = event;
  item.mention.conversation_key = "conv-" + event;
  item.mention.message_id = "msg-" + event;
  item.mention.author.handle = handle;
  item.mention.author.id = id;
  item.mention.text = "hello from " + handle;
  item.channel = "C0SOCIAL";
  return item;
}

}  // namespace

TEST_CASE_TEMPLATE("routes are created, replaced whole, listed by name, toggled and deleted", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  CHECK(storage::LatestSchemaVersion() >= 2);  // the routing tables exist
  CHECK(store->ListRoutes()->empty());

  Route full = FullRoute();
  CHECK(*store->PutRoute(full, 1000) == false);
  Route minimal;
  minimal.name = "all";
  minimal.channel = "C0ALL";
  CHECK(*store->PutRoute(minimal, 1000) == false);
  auto listed = store->ListRoutes();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0] == minimal);
  CHECK_FALSE((*listed)[0].min_followers.has_value());
  CHECK((*listed)[1] == full);

  Route replacement;
  replacement.name = "support";
  replacement.channel = "C0OTHER";
  replacement.keywords = {"refund"};
  CHECK(*store->PutRoute(replacement, 2000) == true);
  CHECK(store->ListRoutes()->at(1) == replacement);

  CHECK(*store->SetRouteEnabled("support", false, 3000) == true);
  CHECK_FALSE(store->ListRoutes()->at(1).enabled);
  CHECK(*store->SetRouteEnabled("nope", false, 3000) == false);
  CHECK(*store->DeleteRoute("all") == true);
  CHECK(*store->DeleteRoute("all") == false);

  f.Reopen();
  auto after = f.store->ListRoutes();
  REQUIRE(after->size() == 1);
  replacement.enabled = false;
  CHECK(after->at(0) == replacement);
}

TEST_CASE_TEMPLATE(
    "mutes: added once, listed, removed, and handles compare without case and without '@'", F,
    test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  CHECK(*store->AddMute({"x", "@SpamBot", "U0ADMIN", 1000}) == true);
  CHECK(*store->AddMute({"x", "spambot", "U0ADMIN", 1000}) == false);
  CHECK(*store->AddMute({"generic", "spambot", "U0ADMIN", 1000}) == true);
  auto mutes = store->ListMutes();
  REQUIRE(mutes->size() == 2);
  CHECK(mutes->at(0).platform == "generic");
  CHECK(mutes->at(1).platform == "x");
  CHECK(mutes->at(1).author == "SpamBot");
  CHECK(mutes->at(1).created_by == "U0ADMIN");
  CHECK(*store->RemoveMute("x", "SPAMBOT") == true);
  CHECK(*store->RemoveMute("x", "spambot") == false);
  CHECK(store->ListMutes()->size() == 1);
}

TEST_CASE_TEMPLATE("a muted author's mention is stored muted with no chat post, others are posted",
                   F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  REQUIRE(*store->AddMute({"generic", "Troll", "U0ADMIN", 1}));
  REQUIRE(*store->AddMute({"generic", "id-999", "U0ADMIN", 1}));
  auto out = store->Ingest({Item("e1", "@troll", "id-1"),      // by handle, any case, with '@'
                            Item("e2", "someone", "id-999"),   // by author id
                            Item("e3", "troll", "id-1", "x"),  // another platform
                            Item("e4", "ana", "id-2")},
                           1000);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 4);
  CHECK(out->at(0).muted);
  CHECK(out->at(1).muted);
  CHECK_FALSE(out->at(2).muted);
  CHECK_FALSE(out->at(3).muted);
  auto stored = store->GetMessage(out->at(0).message_id);
  REQUIRE(stored->has_value());
  CHECK((*stored)->muted);
  CHECK((*stored)->text == "hello from @troll");
  auto due = test::ClaimDue(*store, 5000);
  REQUIRE(due.size() == 2);
  CHECK(due.at(0).message_id == out->at(2).message_id);
  CHECK(due.at(1).message_id == out->at(3).message_id);

  REQUIRE(*store->RemoveMute("generic", "troll"));
  auto later = store->Ingest({Item("e5", "troll", "id-1")}, 2000);
  CHECK_FALSE(later->at(0).muted);
  CHECK(test::ClaimDue(*store, 5000).size() == 1);
}

TEST_CASE_TEMPLATE("admins added from chat: once each, oldest first, and the last one can be kept",
                   F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  CHECK(*store->AddAdmin({"U1", "U0ADMIN", 1000}) == true);
  CHECK(*store->AddAdmin({"U1", "U0ADMIN", 1500}) == false);
  CHECK(*store->AddAdmin({"U2", "U1", 2000}) == true);
  auto admins = store->ListAdmins();
  REQUIRE(admins->size() == 2);
  CHECK(admins->at(0).user_id == "U1");
  CHECK(admins->at(0).added_by == "U0ADMIN");
  CHECK(admins->at(0).added_at == 1000);
  CHECK(admins->at(1).user_id == "U2");
  CHECK(*store->RemoveAdmin("U1", /*keep_last=*/true) == true);
  auto last = store->RemoveAdmin("U2", /*keep_last=*/true);
  CHECK_FALSE(last.ok());
  CHECK(last.status().code() == StatusCode::kInvalidArgument);
  CHECK(store->ListAdmins()->size() == 1);
  CHECK(*store->RemoveAdmin("U9", true) == false);
  CHECK(*store->RemoveAdmin("U2", /*keep_last=*/false) == true);
  CHECK(store->ListAdmins()->empty());
}

TEST_CASE_TEMPLATE("the audit log keeps started entries until finished and lists newest first", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  auto first = store->AppendAudit(
      {0, 1000, "U0STAFF", "route add x channel=C1", AuditResult::kRefused, "not an admin"});
  auto second = store->AppendAudit({0, 2000, "U0ADMIN", "route rm x", AuditResult::kStarted, ""});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*second > *first);
  auto recent = store->RecentAudit(10);
  REQUIRE(recent->size() == 2);
  CHECK(recent->at(0).result == AuditResult::kStarted);
  CHECK(store->FinishAudit(*second, AuditResult::kOk, "Route x removed").ok());
  CHECK(store->FinishAudit(*second, AuditResult::kError, "again").code() == StatusCode::kNotFound);
  CHECK(store->FinishAudit(*first, AuditResult::kOk, "refused stays refused").code() ==
        StatusCode::kNotFound);
  recent = store->RecentAudit(10);
  CHECK(recent->at(0).id == *second);
  CHECK(recent->at(0).result == AuditResult::kOk);
  CHECK(recent->at(0).detail == "Route x removed");
  CHECK(recent->at(0).user_id == "U0ADMIN");
  CHECK(recent->at(0).at == 2000);
  CHECK(recent->at(1).result == AuditResult::kRefused);
  CHECK(recent->at(1).command == "route add x channel=C1");
  CHECK(store->RecentAudit(1)->size() == 1);
}

TEST_CASE("FailingStore counts administration writes and fails the chosen one") {
  auto real = OpenStore(":memory:");
  test::FailingStore failing(*real, 2);
  Route r;
  r.name = "a";
  r.channel = "C1";
  CHECK(failing.PutRoute(r, 1).ok());
  CHECK(failing.AppendAudit({}).status().code() == StatusCode::kUnavailable);
  CHECK(failing.AddMute({"x", "a", "", 1}).ok());
  CHECK(failing.writes() == 3);
  CHECK(real->RecentAudit(5)->empty());
}

}  // namespace duplex
