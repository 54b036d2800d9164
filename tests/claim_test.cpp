// Claiming deliveries with an owner and a lease (Store::ClaimDue), so several duplex
// instances can share one outbox: no row is claimed twice, a live claim is never taken, and
// an expired one is settled the way a crash was before (chat posts retried, replies flagged).
// The store-level cases are a contract, run against SQLite and PostgreSQL.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include "delivery/delivery_engine.h"
#include "platforms/generic/generic_connector.h"
#include "storage/sqlite_store.h"
#include "support/claims.h"
#include "support/fakes.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {
namespace {

constexpr UnixMs kNow = 1'700'000'000'000;

IngestItem Item(const std::string& id, const std::string& conversation) {
  Mention m;
  m.platform = "generic";
  m.event_id = id;
  m.message_id = id;
  m.conversation_key = conversation;
  m.text = "text " + id;
  m.author = {"a", "ana", "Ana", 5};
  m.reply_target = nlohmann::json{{"conversation", conversation}, {"in_reply_to", id}}.dump();
  return {m, "C1", ""};
}

std::unique_ptr<SqliteStore> Open(const std::string& path) {
  auto s = SqliteStore::Open({path});
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(*s);
}

std::string UnknownNotice(const StoredMessage& reply, std::int64_t delivery) {
  return "unknown: " + reply.text + " (delivery " + std::to_string(delivery) + ")";
}

// A conversation with its root posted and a reply queued; returns the reply's delivery.
QueuedReply ConversationWithReply(Store& store) {
  auto in = store.Ingest({Item("m1", "c1")}, kNow);
  REQUIRE(in.ok());
  auto root = test::ClaimDue(store, kNow);
  REQUIRE(root.size() == 1);
  DeliveryUpdate posted = test::Finish(root[0].id, DeliveryState::kDone);
  posted.chat_thread_for_conversation = "ts-root";
  posted.message_chat_post = "ts-root";
  REQUIRE(store.FinishDelivery(posted, kNow).ok());
  auto q = store.QueueReply(
      {(*in)[0].conversation_id, (*in)[0].message_id, "U1", "on its way", "generic:", {}}, kNow);
  REQUIRE(q.ok());
  return *q;
}

}  // namespace

TEST_CASE("claims: two owners never claim the same row, even on two connections at once") {
  test::TempDir dir;
  auto first = Open(dir.File("d.db"));
  auto second = Open(dir.File("d.db"));  // another process's connection to the same file
  std::vector<IngestItem> items;
  for (int i = 0; i < 300; ++i)
    items.push_back(Item("e" + std::to_string(i), "c" + std::to_string(i)));
  REQUIRE(first->Ingest(items, kNow).ok());

  std::vector<Delivery> got_a, got_b;
  auto drain = [](SqliteStore& store, const std::string& owner, std::vector<Delivery>& got) {
    for (int empty = 0; empty < 3;) {
      auto claimed = store.ClaimDue(owner, kNow, 60'000, 7, {}, {});
      if (!claimed.ok()) continue;  // the other writer held the file: try again
      if (claimed->empty()) ++empty;
      got.insert(got.end(), claimed->begin(), claimed->end());
    }
  };
  std::thread a([&] { drain(*first, "owner-a", got_a); });
  std::thread b([&] { drain(*second, "owner-b", got_b); });
  a.join();
  b.join();

  std::set<std::int64_t> ids;
  for (const auto& d : got_a) {
    CHECK(d.owner == "owner-a");
    ids.insert(d.id);
  }
  for (const auto& d : got_b) {
    CHECK(d.owner == "owner-b");
    CHECK(ids.count(d.id) == 0);  // claimed by a already
    ids.insert(d.id);
  }
  CHECK(ids.size() == 300);
  CHECK(got_a.size() + got_b.size() == 300);
  // Each row records the owner that claimed it.
  for (const auto& d : got_b) CHECK((*first->GetDelivery(d.id))->owner == "owner-b");
}

TEST_CASE_TEMPLATE("claims: only the head of each conversation's queue is claimable, across owners",
                   F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  REQUIRE(store->Ingest({Item("e1", "c1"), Item("e2", "c1"), Item("e3", "c2")}, kNow).ok());
  auto a = test::ClaimDue(*store, kNow, 10, {}, "owner-a");
  REQUIRE(a.size() == 2);                                          // e1 and e3; e2 waits behind e1
  CHECK(test::ClaimDue(*store, kNow, 10, {}, "owner-b").empty());  // e1 is sending
  DeliveryUpdate done = test::Finish(a[0].id, DeliveryState::kDone);
  done.owner = "owner-a";
  REQUIRE(store->FinishDelivery(done, kNow).ok());
  auto b = test::ClaimDue(*store, kNow, 10, {}, "owner-b");
  REQUIRE(b.size() == 1);
  CHECK(b[0].message_id == 2);
}

TEST_CASE_TEMPLATE("claims: a restarted instance does not steal a live lease, nor finish it", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  const QueuedReply q = ConversationWithReply(*store);
  const Delivery claimed = test::ClaimOne(*store, q.delivery_id, kNow, "before-restart");
  CHECK(claimed.lease_until == kNow + test::kTestLeaseMs);

  // The restarted process is a new owner; the old claim has not run out.
  const UnixMs later = kNow + test::kTestLeaseMs - 1;
  CHECK(*store->RecoverExpired(later, UnknownNotice) == 0);
  CHECK(test::ClaimDue(*store, later, 10, {}, "after-restart").empty());
  DeliveryUpdate stolen = test::Finish(q.delivery_id, DeliveryState::kDone);
  stolen.owner = "after-restart";
  stolen.message_status = "sent";
  Status s = store->FinishDelivery(stolen, later);
  CHECK(s.code() == StatusCode::kNotFound);
  auto d = **store->GetDelivery(q.delivery_id);
  CHECK(d.state == DeliveryState::kSending);
  CHECK(d.owner == "before-restart");
  CHECK((*store->GetMessage(q.message_id))->status == "queued");

  // The owner itself finishes within its lease.
  DeliveryUpdate done = test::Finish(q.delivery_id, DeliveryState::kDone);
  done.owner = "before-restart";
  done.message_status = "sent";
  REQUIRE(store->FinishDelivery(done, later).ok());
  CHECK((**store->GetDelivery(q.delivery_id)).state == DeliveryState::kDone);
  CHECK((**store->GetDelivery(q.delivery_id)).lease_until == 0);
}

TEST_CASE_TEMPLATE(
    "claims: an expired lease is recovered: a reply becomes unknown with a notice, a chat "
    "post pending — the late owner's finish changes nothing",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  const QueuedReply q = ConversationWithReply(*store);
  REQUIRE(store->Ingest({Item("m2", "c2")}, kNow).ok());
  auto claimed = test::ClaimDue(*store, kNow, 10, {}, "dead-owner");
  REQUIRE(claimed.size() == 2);  // the reply, and c2's root post
  const std::int64_t post = claimed[0].id == q.delivery_id ? claimed[1].id : claimed[0].id;

  const UnixMs expired = kNow + test::kTestLeaseMs;
  CHECK(*store->RecoverExpired(expired, UnknownNotice) == 2);
  auto reply = **store->GetDelivery(q.delivery_id);
  CHECK(reply.state == DeliveryState::kUnknown);
  CHECK(reply.last_error.find("may or may not have posted it") != std::string::npos);
  CHECK((*store->GetMessage(q.message_id))->status == "unknown");
  CHECK((**store->GetDelivery(post)).state == DeliveryState::kPending);
  CHECK((**store->GetDelivery(post)).attempts == 0);

  // Another instance now takes the post and the reply's notice; the reply is never resent.
  auto taken = test::ClaimDue(*store, expired, 10, {}, "live-owner");
  std::set<std::int64_t> taken_ids;
  std::string notice;
  for (const auto& d : taken) {
    taken_ids.insert(d.id);
    if (d.kind == DeliveryKind::kChatNotice) notice = d.payload;
    CHECK(d.kind != DeliveryKind::kPlatformReply);
  }
  CHECK(taken_ids.count(post) == 1);
  CHECK(notice == "unknown: on its way (delivery " + std::to_string(q.delivery_id) + ")");

  // The dead owner comes back with its outcomes: refused, nothing changes.
  DeliveryUpdate late = test::Finish(q.delivery_id, DeliveryState::kDone);
  late.owner = "dead-owner";
  late.message_status = "sent";
  CHECK(store->FinishDelivery(late, expired + 1).code() == StatusCode::kNotFound);
  late.id = post;
  CHECK(store->FinishDelivery(late, expired + 1).code() == StatusCode::kNotFound);
  CHECK((**store->GetDelivery(q.delivery_id)).state == DeliveryState::kUnknown);
  CHECK((*store->GetMessage(q.message_id))->status == "unknown");
  CHECK((**store->GetDelivery(post)).owner == "live-owner");
}

TEST_CASE_TEMPLATE("claims: renewing keeps every claim of its owner, and only its owner's", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  REQUIRE(store->Ingest({Item("e1", "c1"), Item("e2", "c2")}, kNow).ok());
  test::ClaimOne(*store, 1, kNow, "owner-a");
  test::ClaimOne(*store, 2, kNow, "owner-b");
  const UnixMs half = kNow + test::kTestLeaseMs / 2;
  CHECK(*store->RenewLeases("owner-a", half, test::kTestLeaseMs) == 1);
  CHECK((**store->GetDelivery(1)).lease_until == half + test::kTestLeaseMs);
  // b's claim ran out; a's renewed one stands.
  CHECK(*store->RecoverExpired(kNow + test::kTestLeaseMs, UnknownNotice) == 1);
  CHECK((**store->GetDelivery(1)).state == DeliveryState::kSending);
  CHECK((**store->GetDelivery(2)).state == DeliveryState::kPending);
  CHECK(*store->RecoverExpired(half + test::kTestLeaseMs, UnknownNotice) == 1);
  CHECK((**store->GetDelivery(1)).state == DeliveryState::kPending);
}

TEST_CASE(
    "claims: a row left sending by an older duplex (no owner, no lease) is settled by the "
    "first recovery") {
  test::TempDir dir;
  auto store = Open(dir.File("d.db"));
  REQUIRE(store->Ingest({Item("e1", "c1")}, kNow).ok());
  {
    // What schema step 6 leaves of a row an older version was sending.
    SQLite::Database db(dir.File("d.db"), SQLite::OPEN_READWRITE);
    db.exec("UPDATE outbox SET state = 'sending', owner = '', lease_until = 0");
  }
  CHECK(*store->RecoverExpired(kNow, UnknownNotice) == 1);
  CHECK(test::ClaimDue(*store, kNow).size() == 1);
}

TEST_CASE_TEMPLATE("claims: a refused candidate stays pending and its target is passed over", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  IngestItem other = Item("e3", "c3");
  other.channel = "C2";
  REQUIRE(store->Ingest({Item("e1", "c1"), Item("e2", "c2"), other}, kNow).ok());
  std::vector<std::string> asked;
  auto claimed = store->ClaimDue("owner", kNow, 60'000, 10, {}, [&](const Delivery& d) {
    asked.push_back(d.target);
    return d.target != "chat:C1";
  });
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 1);
  CHECK(claimed->front().target == "chat:C2");
  CHECK((**store->GetDelivery(1)).state == DeliveryState::kPending);
  CHECK((**store->GetDelivery(2)).state == DeliveryState::kPending);
  CHECK((**store->GetDelivery(1)).owner.empty());
}

namespace {

// Two engines on one store, as two instances on one database, with one clock.
struct TwoInstances {
  test::TempDir dir;
  FakeClock clock;
  std::unique_ptr<SqliteStore> store;
  test::RecordingPoster chat;
  test::FakeHttpClient http;
  ConnectorMap connectors;
  RateLimiter limiter;
  std::unique_ptr<DeliveryEngine> a, b;

  TwoInstances() {
    clock.Set(kNow);
    store = Open(dir.File("d.db"));
    GenericConfig g;
    g.secret = "whsec_c2VjcmV0";
    g.reply_url = "http://127.0.0.1:9/replies";
    connectors["generic"] = std::make_unique<GenericConnector>(g);
    limiter.SetLimit("", {1000, 1000});
    a = Make("instance-a");
    b = Make("instance-b");
  }
  std::unique_ptr<DeliveryEngine> Make(const std::string& owner) {
    DeliveryDeps d;
    d.store = store.get();
    d.clock = &clock;
    d.chat = &chat;
    d.connectors = &connectors;
    d.http = &http;
    d.limiter = &limiter;
    d.owner = owner;
    d.lease_ms = 30'000;
    d.default_channel = "CADMIN";
    d.admins = [] { return std::vector<std::string>{"U0ADMIN"}; };
    return std::make_unique<DeliveryEngine>(d);
  }
};

}  // namespace

TEST_CASE(
    "engine: claims are this instance's — a peer's heartbeat takes over only once they "
    "expire, and renews its own") {
  TwoInstances t;
  REQUIRE(t.store->Ingest({Item("e1", "c1")}, kNow).ok());
  UnixMs wake_at = 0;
  auto mine = t.a->Claim(10, wake_at);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].owner == "instance-a");
  CHECK(t.b->RunDue() == 0);  // nothing for b: a holds it

  // a hangs. b's heartbeat before the lease runs out leaves the claim alone.
  t.clock.Advance(25'000);
  t.b->Heartbeat();
  CHECK(t.b->RunDue() == 0);
  t.clock.Advance(4'999);
  t.b->Heartbeat();  // not due: heartbeats are lease / 6 = 5 s apart
  CHECK(t.b->RunDue() == 0);
  t.clock.Advance(1);
  t.b->Heartbeat();  // the lease ran out just now
  CHECK(t.b->RunDue() == 1);
  CHECK(t.chat.posts().size() == 1);
  // a wakes up and finishes its stale attempt: it posts (chat is at least once) but records
  // nothing over b's outcome.
  t.a->Execute(mine[0]);
  CHECK(t.chat.posts().size() == 2);
  auto d = **t.store->GetDelivery(mine[0].id);
  CHECK(d.state == DeliveryState::kDone);
  CHECK(d.owner == "instance-b");

  // An instance's heartbeat renews its own claims, so a slow attempt keeps them.
  REQUIRE(t.store->Ingest({Item("e2", "c2")}, t.clock.NowMs()).ok());
  auto slow = t.a->Claim(10, wake_at);
  REQUIRE(slow.size() == 1);
  for (int i = 0; i < 12; ++i) {  // a minute, twice the lease
    t.clock.Advance(5'000);
    t.a->Heartbeat();
    t.b->Heartbeat();
  }
  CHECK((**t.store->GetDelivery(slow[0].id)).owner == "instance-a");
  CHECK((**t.store->GetDelivery(slow[0].id)).state == DeliveryState::kSending);
  t.a->Execute(slow[0]);
  CHECK((**t.store->GetDelivery(slow[0].id)).state == DeliveryState::kDone);
}

namespace {

DeliveryOutcome Revoked() {
  DeliveryOutcome o;
  o.kind = OutcomeKind::kPermanent;
  o.auth_failure = true;
  o.error = "token_revoked";
  return o;
}

// The admins' alerts about a failing chat credential in the outbox, in any state.
int CredentialAlerts(Store& store) {
  int n = 0;
  auto all = store.ListDeliveries({DeliveryState::kPending, DeliveryState::kSending,
                                   DeliveryState::kDone, DeliveryState::kDead},
                                  1000);
  REQUIRE(all.ok());
  for (const auto& d : *all) {
    if (d.payload.find("cannot authenticate with the chat") != std::string::npos) {
      CHECK(d.target == "chat:CADMIN");
      CHECK(d.payload.find("U0ADMIN") != std::string::npos);
      ++n;
    }
  }
  return n;
}

}  // namespace

TEST_CASE(
    "engine: a failing credential alerts the admins once for all instances and across a "
    "restart, and again only after a delivery with it succeeded") {
  TwoInstances t;
  REQUIRE(t.store->Ingest({Item("e1", "c1"), Item("e2", "c2")}, kNow).ok());
  UnixMs wake_at = 0;
  auto on_a = t.a->Claim(1, wake_at);
  auto on_b = t.b->Claim(1, wake_at);
  REQUIRE(on_a.size() == 1);
  REQUIRE(on_b.size() == 1);
  // Both instances find the chat's token revoked, each on its own post; so does the alert.
  for (int i = 0; i < 3; ++i) t.chat.PushOutcome(Revoked());
  t.a->Execute(on_a[0]);
  t.b->Execute(on_b[0]);
  CHECK(CredentialAlerts(*t.store) == 1);
  CHECK(t.a->RunDue() + t.b->RunDue() == 1);  // the alert, failing like the rest
  CHECK(CredentialAlerts(*t.store) == 1);

  // Instance a restarts: still failing, still no second alert.
  t.a = t.Make("instance-a-restarted");
  REQUIRE(t.store->Ingest({Item("e3", "c3")}, kNow).ok());
  t.chat.PushOutcome(Revoked());
  CHECK(t.a->RunDue() == 1);
  CHECK(t.b->RunDue() == 0);
  CHECK(CredentialAlerts(*t.store) == 1);

  // A post succeeds on b: the next failure, on a, alerts again.
  REQUIRE(t.store->Ingest({Item("e4", "c4")}, kNow).ok());
  CHECK(t.b->RunDue() == 1);
  CHECK(t.chat.posts().size() == 1);
  REQUIRE(t.store->Ingest({Item("e5", "c5")}, kNow).ok());
  t.chat.PushOutcome(Revoked());
  CHECK(t.a->RunDue() == 1);
  CHECK(CredentialAlerts(*t.store) == 2);
}

TEST_CASE(
    "engine: a chat that refuses one channel alerts once for it, however many posts succeed "
    "in other channels meanwhile") {
  TwoInstances t;
  auto in = [&](const std::string& id, const std::string& channel) {
    IngestItem item = Item(id, "conv-" + id);
    item.channel = channel;
    REQUIRE(t.store->Ingest({item}, kNow).ok());
  };
  for (int i = 0; i < 3; ++i) {
    in("refused-" + std::to_string(i), "C2");
    DeliveryOutcome refused = Revoked();
    refused.error = "Mattermost refused the post: you do not have the appropriate permissions";
    t.chat.PushOutcome(refused);
    CHECK(t.a->RunDue() == 1);
    in("fine-" + std::to_string(i), "C1");
    CHECK(t.a->RunDue() >= 1);  // the post in C1, and the alert the first time
  }
  CHECK(t.chat.posts().size() == 4);  // three posts in C1 and one alert
  int alerts = 0;
  for (const auto& p : t.chat.posts()) {
    if (p.text.find("cannot authenticate with the chat") != std::string::npos) ++alerts;
  }
  CHECK(alerts == 1);
}

TEST_CASE_TEMPLATE(
    "credential alerts in the store: raised once whoever raises it, lowered by a success, "
    "each with the attempt's outcome",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  std::vector<IngestItem> items;
  for (int i = 1; i <= 4; ++i)
    items.push_back(Item("e" + std::to_string(i), "c" + std::to_string(i)));
  REQUIRE(store->Ingest(items, kNow).ok());
  auto claimed = test::ClaimDue(*store, kNow, 4);
  REQUIRE(claimed.size() == 4);
  auto alerts = [&] {
    int n = 0;
    auto pending = store->ListDeliveries({DeliveryState::kPending}, 100);
    REQUIRE(pending.ok());
    for (const auto& d : *pending) {
      if (d.target == "chat:CADMIN") ++n;
    }
    return n;
  };
  auto end = [&](const Delivery& d, bool failed) {
    DeliveryUpdate u = test::Finish(d.id, failed ? DeliveryState::kDead : DeliveryState::kDone);
    u.credential = "chat";
    if (failed)
      u.credential_alert = NewDelivery{DeliveryKind::kChatNotice, 0, 0, "chat:CADMIN", "alert"};
    REQUIRE(store->FinishDelivery(u, kNow).ok());
  };
  end(claimed[0], true);
  CHECK(alerts() == 1);
  end(claimed[1], true);  // raised already: no second notice, but the outcome is recorded
  CHECK(alerts() == 1);
  CHECK((**store->GetDelivery(claimed[1].id)).state == DeliveryState::kDead);
  end(claimed[2], false);  // lowered
  end(claimed[3], true);
  CHECK(alerts() == 2);
  // A finish refused for a lost claim raises nothing.
  DeliveryUpdate late = test::Finish(claimed[0].id, DeliveryState::kDead);
  late.credential = "x";
  late.credential_alert = NewDelivery{DeliveryKind::kChatNotice, 0, 0, "chat:CADMIN", "x alert"};
  CHECK(store->FinishDelivery(late, kNow).code() == StatusCode::kNotFound);
  CHECK(alerts() == 2);
}

}  // namespace duplex
