// Delivery reports: a platform's later word that a reply it accepted never reached the
// customer. The store marks the reply failed in one transaction with its thread notice and,
// when the customer still awaits an answer, a root update; repeats, unknown ids and replies
// in flight are told apart. Tested through RecordDeliveryReports, as the webhook uses it.
#include <doctest/doctest.h>

#include "chat/console/console_poster.h"
#include "commands/delivery_reports.h"
#include "handlers/webhook_handler.h"
#include "platforms/meta/meta_connector.h"
#include "security/signatures.h"
#include "support/claims.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {
namespace {

constexpr UnixMs kNow = 1'765'000'000'000;

// A sent WhatsApp reply on a store made by F (test::SqliteFactory or test::PgFactory: these
// are contract tests over both stores); on PostgreSQL without a test server, not available().
template <class F>
struct Fixture {
  F factory;
  Store* store = nullptr;
  ConsoleDialect dialect;
  std::int64_t conversation = 0;
  std::int64_t customer_message = 0;
  std::int64_t reply_message = 0;
  std::int64_t reply_delivery = 0;

  explicit Fixture(const std::string& reply_wamid = "wamid.OUT1") {
    if (!factory.available()) return;
    store = factory.store.get();
    Mention m;
    m.platform = "meta";
    m.event_id = "wa:wamid.IN1";
    m.message_id = "wamid.IN1";
    m.conversation_key = "wa:106540352242922:447700900123";
    m.kind = MentionKind::kDm;
    m.text = "my invoice is wrong";
    m.author = {"447700900123", "+447700900123", "Fatima", std::nullopt};
    m.account = "106540352242922";
    auto in = store->Ingest({{m, "C1", ""}}, kNow);
    REQUIRE(in.ok());
    conversation = (*in)[0].conversation_id;
    customer_message = (*in)[0].message_id;
    // The root is posted, then a reply is queued and Meta accepts it with a wamid.
    RunAll("ts-root");
    auto q =
        store->QueueReply(NewReply{conversation, customer_message, "U0STAFF",
                                   "We fixed the address", "meta:106540352242922", std::nullopt},
                          kNow + 1);
    REQUIRE(q.ok());
    reply_message = q->message_id;
    reply_delivery = q->delivery_id;
    DeliveryUpdate sent = test::Finish(reply_delivery, DeliveryState::kDone);
    sent.message_status = "sent";
    sent.message_remote_id = reply_wamid;
    sent.first_response = true;
    test::ClaimOne(*store, reply_delivery, kNow + 2);
    REQUIRE(store->FinishDelivery(sent, kNow + 3).ok());
  }

  // Finishes every pending chat delivery as posted (platform replies stay as they are).
  void RunAll(const std::string& ts = "ts-x") {
    for (bool more = true; more;) {
      more = false;
      auto due =
          store->ClaimDue(test::kTestOwner, kNow + 10'000'000, test::kTestLeaseMs, 100, {},
                          [](const Delivery& d) { return d.kind != DeliveryKind::kPlatformReply; });
      REQUIRE(due.ok());
      for (const auto& d : *due) {
        DeliveryUpdate u = test::Finish(d.id, DeliveryState::kDone);
        if (d.kind == DeliveryKind::kChatPost) {
          u.chat_thread_for_conversation = ts;
          u.message_chat_post = ts;
        }
        REQUIRE(store->FinishDelivery(u, kNow).ok());
        more = true;
      }
    }
  }

  // Pending chat deliveries, oldest first.
  std::vector<Delivery> Pending() {
    auto all = store->ListDeliveries({DeliveryState::kPending}, 100);
    REQUIRE(all.ok());
    std::vector<Delivery> out;
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      if (it->kind != DeliveryKind::kPlatformReply) out.push_back(*it);
    }
    return out;
  }

  Status Report(const std::string& wamid, const std::string& event = "") {
    DeliveryReport r;
    r.remote_id = wamid;
    r.event_id = event.empty() ? "wa:status:" + wamid + ":failed" : event;
    r.failed = true;
    r.reason = "WhatsApp could not deliver it: the 24-hour window has closed.";
    return RecordDeliveryReports(*store, dialect, "meta", {r}, kNow + 5);
  }

  bool available() const { return store != nullptr; }
};

}  // namespace

TEST_CASE_TEMPLATE(
    "delivery report: a failed reply is marked failed, dead, and its thread told once", F,
    test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  int woken = 0;
  DeliveryReport r{"wa:status:wamid.OUT1:failed", "wamid.OUT1", true,
                   "WhatsApp could not deliver it: the 24-hour window has closed."};
  REQUIRE(RecordDeliveryReports(*f.store, f.dialect, "meta", {r}, kNow + 5, [&] { ++woken; }).ok());
  CHECK(woken == 1);
  auto reply = f.store->GetMessage(f.reply_message);
  CHECK((*reply)->status == "failed");
  auto delivery = f.store->GetDelivery(f.reply_delivery);
  CHECK((*delivery)->state == DeliveryState::kDead);
  CHECK((*delivery)->last_error == r.reason);
  // The customer still awaits an answer: replied → open, and the root is redrawn.
  auto c = f.store->GetConversation(f.conversation);
  CHECK((*c)->state == ConversationState::kOpen);
  auto pending = f.Pending();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].kind == DeliveryKind::kChatNotice);
  CHECK(pending[0].conversation_id == f.conversation);
  CHECK(pending[0].target == "chat:C1");
  CHECK(pending[0].payload.find("did NOT reach the customer") != std::string::npos);
  CHECK(pending[0].payload.find("24-hour window has closed") != std::string::npos);
  CHECK(pending[0].payload.find("We fixed the address") != std::string::npos);
  CHECK(pending[0].payload.find("/duplex retry " + std::to_string(f.reply_delivery)) !=
        std::string::npos);
  CHECK(pending[1].kind == DeliveryKind::kChatUpdate);

  // Meta repeats the webhook: nothing more.
  f.RunAll();
  REQUIRE(RecordDeliveryReports(*f.store, f.dialect, "meta", {r}, kNow + 6, [&] { ++woken; }).ok());
  CHECK(woken == 1);
  CHECK(f.Pending().empty());

  // `retry` can send it again (once the customer has written).
  auto requeued = f.store->RequeueDelivery(f.reply_delivery, kNow + 7);
  REQUIRE(requeued.ok());
  CHECK((*f.store->GetMessage(f.reply_message))->status == "queued");
}

TEST_CASE_TEMPLATE(
    "delivery report: an unknown id is ignored, one for a reply in flight asks again", F,
    test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  CHECK(f.Report("wamid.SOMEONE_ELSES").ok());
  CHECK(f.Pending().empty());
  CHECK((*f.store->GetMessage(f.reply_message))->status == "sent");

  // A second reply is being sent: Meta answered, but its wamid is not stored yet.
  auto q = f.store->QueueReply(NewReply{f.conversation, f.customer_message, "U0STAFF", "second",
                                        "meta:106540352242922", std::nullopt},
                               kNow + 8);
  REQUIRE(q.ok());
  test::ClaimOne(*f.store, q->delivery_id, kNow + 8);
  Status s = f.Report("wamid.OUT2");
  CHECK(s.code() == StatusCode::kUnavailable);
  // Nothing was claimed: once the id is stored, the resent report is recorded.
  DeliveryUpdate sent = test::Finish(q->delivery_id, DeliveryState::kDone);
  sent.message_status = "sent";
  sent.message_remote_id = "wamid.OUT2";
  REQUIRE(f.store->FinishDelivery(sent, kNow + 9).ok());
  f.RunAll();
  CHECK(f.Report("wamid.OUT2").ok());
  CHECK((*f.store->GetMessage(q->message_id))->status == "failed");
  // The earlier reply still stands.
  CHECK((*f.store->GetMessage(f.reply_message))->status == "sent");
}

TEST_CASE_TEMPLATE(
    "delivery report: a later reply that reached the customer keeps the conversation replied", F,
    test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  auto q = f.store->QueueReply(NewReply{f.conversation, f.customer_message, "U0STAFF", "second",
                                        "meta:106540352242922", std::nullopt},
                               kNow + 8);
  REQUIRE(q.ok());
  test::ClaimOne(*f.store, q->delivery_id, kNow + 8);
  DeliveryUpdate sent = test::Finish(q->delivery_id, DeliveryState::kDone);
  sent.message_status = "sent";
  sent.message_remote_id = "wamid.OUT2";
  REQUIRE(f.store->FinishDelivery(sent, kNow + 9).ok());
  f.RunAll();
  CHECK(f.Report("wamid.OUT1").ok());
  CHECK((*f.store->GetMessage(f.reply_message))->status == "failed");
  CHECK((*f.store->GetConversation(f.conversation))->state == ConversationState::kReplied);
  auto pending = f.Pending();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].kind == DeliveryKind::kChatNotice);
}

TEST_CASE_TEMPLATE(
    "delivery report: a reply queued again by retry is not failed by its old id's report", F,
    test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  REQUIRE(f.Report("wamid.OUT1").ok());
  f.RunAll();
  REQUIRE(f.store->RequeueDelivery(f.reply_delivery, kNow + 7).ok());
  // A second report on the old wamid (another event id): the retry stays queued.
  CHECK(f.Report("wamid.OUT1", "wa:status:wamid.OUT1:failed:again").ok());
  CHECK((*f.store->GetMessage(f.reply_message))->status == "queued");
  CHECK((*f.store->GetDelivery(f.reply_delivery))->state == DeliveryState::kPending);
}

TEST_CASE_TEMPLATE("webhook: a failed status is answered 200 only after its failure is committed",
                   F, test::SqliteFactory, test::PgFactory) {
  const std::string wamid = "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSRkFJTEVEUkVQTFkxAA==";
  Fixture<F> f(wamid);
  if (!f.available()) return;
  MetaConfig mc;
  mc.app_secret = "3f1e0b2c9d8a7f6e5d4c3b2a19081726";
  mc.verify_token = "verify-token-123456";
  mc.whatsapp_token = "EAAGwhatsapp";
  MetaConnector connector(mc, nullptr);
  InboundRequest req;
  req.method = "POST";
  req.body =
      test::ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/meta/whatsapp_status_failed_131047.json");
  req.headers = {{"X-Hub-Signature-256", security::SignHubSignature256(mc.app_secret, req.body)}};
  WebhookDeps deps;
  bool database_down = true;
  deps.record_reports = [&](const std::string& platform,
                            const std::vector<DeliveryReport>& reports) {
    if (database_down) return Status::Unavailable("database unavailable");
    return RecordDeliveryReports(*f.store, f.dialect, platform, reports, kNow + 5);
  };
  SUBCASE("a failed commit is a 503, so Meta sends it again") {
    CHECK(HandleWebhook(connector, req, deps).status == 503);
    CHECK((*f.store->GetMessage(f.reply_message))->status == "sent");
    database_down = false;
    CHECK(HandleWebhook(connector, req, deps).status == 200);
    CHECK((*f.store->GetMessage(f.reply_message))->status == "failed");
  }
  SUBCASE("not wired: refused rather than dropped") {
    deps.record_reports = nullptr;
    CHECK(HandleWebhook(connector, req, deps).status == 503);
  }
  SUBCASE("a wrong signature never reaches the store") {
    database_down = false;
    req.headers = {{"X-Hub-Signature-256", security::SignHubSignature256("x", req.body)}};
    CHECK(HandleWebhook(connector, req, deps).status == 401);
    CHECK((*f.store->GetMessage(f.reply_message))->status == "sent");
  }
}

}  // namespace duplex
