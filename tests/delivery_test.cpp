// The delivery engine driven step by step with a FakeClock: retry schedule, wait hints,
// dead letters, unknown outcomes, ordering and pacing — in milliseconds.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "delivery/delivery_engine.h"
#include "delivery/worker.h"
#include "platforms/generic/generic_connector.h"
#include "support/fakes.h"
#include "support/staff_rig.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {

namespace {

// The engine on a store made by F (test::SqliteFactory or test::PgFactory: the tests below are
// contract tests of the engine over both stores). On PostgreSQL without a test server the
// rig is not available() and the test returns at once.
template <class F>
struct Rig {
  F factory;
  FakeClock clock;
  Store* store = nullptr;
  test::RecordingPoster chat;
  test::FakeHttpClient http;
  ConnectorMap connectors;
  RateLimiter limiter;
  std::unique_ptr<DeliveryEngine> engine;

  explicit Rig(double per_second = 1000, double burst = 1000) {
    if (!factory.available()) return;
    store = factory.store.get();
    GenericConfig g;
    g.secret = "whsec_c2VjcmV0";
    g.reply_url = "http://127.0.0.1:9/replies";
    connectors["generic"] = std::make_unique<GenericConnector>(g);
    limiter.SetLimit("", {per_second, burst});
    DeliveryDeps d = Deps(*store, chat);
    d.seed = 7;
    d.retry.jitter = 0;  // exact schedule in these tests
    engine = std::make_unique<DeliveryEngine>(d);
  }

  // An engine's dependencies on this rig, with another store or chat in front (a failing
  // store, a throwing poster) and every other setting left at its default.
  DeliveryDeps Deps(Store& over, ChatPoster& poster) {
    DeliveryDeps d;
    d.store = &over;
    d.clock = &clock;
    d.chat = &poster;
    d.connectors = &connectors;
    d.http = &http;
    d.limiter = &limiter;
    return d;
  }

  std::int64_t Ingest(const std::string& id, const std::string& conv,
                      const std::string& channel = "C1") {
    Mention m;
    m.platform = "generic";
    m.event_id = id;
    m.message_id = id;
    m.conversation_key = conv;
    m.text = "text " + id;
    m.author = {"a", "ana", "Ana", 5};
    m.reply_target = nlohmann::json{{"conversation", conv}, {"in_reply_to", id}}.dump();
    auto r = store->Ingest({{m, channel, ""}}, clock.NowMs());
    REQUIRE(r.ok());
    return (*r)[0].conversation_id;
  }

  Delivery Get(std::int64_t id) { return **store->GetDelivery(id); }
  bool available() const { return store != nullptr; }
};

}  // namespace

TEST_CASE_TEMPLATE("chat posts retry on the documented schedule and then dead-letter", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  const std::vector<UnixMs> waits = {5'000,      300'000,    1'800'000, 7'200'000,
                                     18'000'000, 36'000'000, 36'000'000};
  rig.chat.PushOutcome(
      DeliveryOutcome::Fail(OutcomeKind::kUncertain, "Slack server error (HTTP 500)"));
  CHECK(rig.engine->RunDue() == 1);  // attempt 1: immediately
  for (std::size_t i = 0; i < waits.size(); ++i) {
    Delivery d = rig.Get(1);
    REQUIRE(d.state == DeliveryState::kPending);
    CHECK(d.next_attempt_at - rig.clock.NowMs() == waits[i]);
    rig.clock.Advance(waits[i] - 1);
    CHECK(rig.engine->RunDue() == 0);  // not due a millisecond early
    rig.clock.Advance(1);
    rig.chat.PushOutcome(DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack unreachable"));
    CHECK(rig.engine->RunDue() == 1);
  }
  Delivery dead = rig.Get(1);
  CHECK(dead.state == DeliveryState::kDead);
  CHECK(dead.attempts == 8);
  CHECK(dead.last_error == "Slack unreachable");
  CHECK(rig.chat.posts().empty());
}

TEST_CASE("jitter keeps each wait within ±10% of the schedule") {
  RetryPolicy p;
  std::mt19937_64 rng(1);
  for (int attempt = 1; attempt < p.MaxAttempts(); ++attempt) {
    for (int i = 0; i < 50; ++i) {
      UnixMs base = p.schedule_ms[static_cast<std::size_t>(attempt)];
      UnixMs d = *p.NextDelay(attempt, rng);
      CHECK(d >= base * 0.9 - 1);
      CHECK(d <= base * 1.1 + 1);
    }
  }
  CHECK_FALSE(p.NextDelay(p.MaxAttempts(), rng).has_value());
}

TEST_CASE_TEMPLATE("a Retry-After hint replaces the schedule and does not use up an attempt", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  auto limited = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack rate limit (HTTP 429)");
  limited.retry_after_ms = 30'000;
  for (int i = 0; i < 20; ++i) {
    rig.chat.PushOutcome(limited);
    REQUIRE(rig.engine->RunDue() == 1);
    CHECK(rig.Get(1).next_attempt_at - rig.clock.NowMs() == 30'000);
    rig.clock.Advance(30'000);
  }
  CHECK(rig.Get(1).attempts == 0);
  CHECK(rig.engine->RunDue() == 1);
  CHECK(rig.Get(1).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 1);
}

TEST_CASE_TEMPLATE("a remote's wait hint holds back its whole target, not others", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1", "C1");
  rig.Ingest("e2", "c2", "C1");
  rig.Ingest("e3", "c3", "C2");
  auto limited = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack rate limit (HTTP 429)");
  limited.retry_after_ms = 10'000;
  rig.chat.PushOutcome(limited);
  // e1 hits the limit; e2 (same channel) is then held back, e3 (other channel) goes.
  rig.engine->RunDue(1);
  rig.engine->RunDue();
  auto posts = rig.chat.posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].channel == "C2");
  rig.clock.Advance(10'000);
  rig.engine->RunDue();
  CHECK(rig.chat.posts().size() == 3);
}

TEST_CASE_TEMPLATE("permanent chat errors dead-letter at once with the reason", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.chat.PushOutcome(
      DeliveryOutcome::Fail(OutcomeKind::kPermanent, "Slack error: channel_not_found"));
  rig.engine->RunDue();
  CHECK(rig.Get(1).state == DeliveryState::kDead);
  CHECK(rig.Get(1).last_error == "Slack error: channel_not_found");
  CHECK(rig.Get(1).attempts == 1);
}

TEST_CASE_TEMPLATE(
    "messages of one conversation go out in order — a retrying one holds back only its own", F,
    test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("a1", "A");
  rig.Ingest("a2", "A");
  rig.Ingest("b1", "B");
  rig.chat.PushOutcome(DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack unreachable"));
  rig.engine->RunDue();  // a1 fails, b1 goes
  rig.engine->RunDue();
  auto posts = rig.chat.posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].card->text == "text b1");
  rig.clock.Advance(5'000);
  rig.engine->RunDue();  // a1 goes (root), then a2 into its thread
  rig.engine->RunDue();
  posts = rig.chat.posts();
  REQUIRE(posts.size() == 3);
  CHECK(posts[1].card->text == "text a1");
  CHECK(posts[1].thread.empty());
  CHECK(posts[2].card->text == "text a2");
  CHECK(posts[2].thread == "ts-2");
}

TEST_CASE_TEMPLATE("a dead-lettered message lets the rest of its conversation go on", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("a1", "A");
  rig.Ingest("a2", "A");
  rig.chat.PushOutcome(DeliveryOutcome::Fail(OutcomeKind::kPermanent, "Slack error: msg_too_long"));
  rig.engine->RunDue();
  rig.engine->RunDue();
  auto posts = rig.chat.posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].card->text == "text a2");
}

TEST_CASE_TEMPLATE("the token bucket paces a flood to the channel's rate", F, test::SqliteFactory,
                   test::PgFactory) {
  Rig<F> rig(/*per_second=*/1, /*burst=*/3);
  if (!rig.available()) return;
  for (int i = 0; i < 10; ++i) rig.Ingest("e" + std::to_string(i), "c" + std::to_string(i));
  CHECK(rig.engine->RunDue() == 3);  // the burst
  CHECK(rig.engine->RunDue() == 0);
  rig.clock.Advance(1000);
  CHECK(rig.engine->RunDue() == 1);
  rig.clock.Advance(999);
  CHECK(rig.engine->RunDue() == 0);
  rig.clock.Advance(1);
  CHECK(rig.engine->RunDue() == 1);
  rig.clock.Advance(5000);
  CHECK(rig.engine->RunDue() == 3);  // refills up to the burst only
}

TEST_CASE_TEMPLATE("replies: sent once, confirmed in the thread, SLA clock stopped", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  auto conv = rig.Ingest("e1", "c1");
  rig.engine->RunDue();  // thread root
  auto q =
      test::QueueReplyToOpener(*rig.store, conv, "U1", "thanks!", "generic:", rig.clock.NowMs());
  rig.http.PushStatus(200, R"({"url":"https://crm/r/1"})");
  rig.engine->RunDue();
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kDone);
  REQUIRE(rig.http.requests().size() == 1);
  auto body = nlohmann::json::parse(rig.http.requests()[0].body);
  CHECK(body["in_reply_to"] == "e1");
  CHECK(body["text"] == "thanks!");
  auto c = *rig.store->GetConversation(conv);
  CHECK(c->first_response_at.has_value());
  CHECK(c->state == ConversationState::kReplied);
  auto reply = *rig.store->GetMessage(q->message_id);
  CHECK(reply->status == "sent");
  CHECK(reply->permalink == "https://crm/r/1");
  rig.engine->RunDue();  // the confirmation
  auto posts = rig.chat.posts();
  REQUIRE(posts.size() == 2);
  CHECK(posts[1].thread == "ts-1");
  CHECK(posts[1].text.find("Reply by @U1 posted") != std::string::npos);
  CHECK(posts[1].text.find("https://crm/r/1") != std::string::npos);
}

TEST_CASE_TEMPLATE("replies: an uncertain outcome is flagged unknown with the text and not resent",
                   F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  auto conv = rig.Ingest("e1", "c1");
  rig.engine->RunDue();
  auto q =
      test::QueueReplyToOpener(*rig.store, conv, "U1", "maybe posted", "x:", rig.clock.NowMs());
  // A connector without idempotent retries reports kUncertain on a timeout after sending.
  class UncertainConnector final : public PlatformConnector {
   public:
    std::string Name() const override { return "generic"; }
    std::string DisplayName() const override { return "Test"; }
    Status Verify(const InboundRequest&) const override { return Status::Ok(); }
    Result<ParsedWebhook> Parse(const InboundRequest&) const override { return ParsedWebhook{}; }
    DeliveryOutcome SendReply(const ReplyRequest&, HttpClient&) const override {
      return DeliveryOutcome::Fail(OutcomeKind::kUncertain, "X did not answer: Read");
    }
    HttpRequest SampleWebhook(const std::string&, const std::string&, const std::string&,
                              UnixMs) const override {
      return {};
    }
  };
  rig.connectors["generic"] = std::make_unique<UncertainConnector>();
  rig.engine->RunDue();
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kUnknown);
  rig.clock.Advance(100'000'000);
  rig.engine->RunDue();
  auto posts = rig.chat.posts();
  REQUIRE(posts.size() == 2);
  CHECK(posts[1].text.find("may or may not have been posted") != std::string::npos);
  CHECK(posts[1].text.find("maybe posted") != std::string::npos);
  CHECK(posts[1].text.find("/duplex retry " + std::to_string(q->delivery_id)) != std::string::npos);
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kUnknown);
}

TEST_CASE_TEMPLATE("replies: a permanent platform error ends in a clear message in the thread", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  auto conv = rig.Ingest("e1", "c1");
  rig.engine->RunDue();
  auto q = test::QueueReplyToOpener(*rig.store, conv, "U1", "hello", "generic:", rig.clock.NowMs());
  rig.http.PushStatus(410, "gone");
  rig.engine->RunDue();
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kDead);
  rig.engine->RunDue();
  auto posts = rig.chat.posts();
  REQUIRE(posts.size() == 2);
  CHECK(posts[1].text.find("was NOT posted") != std::string::npos);
  CHECK(posts[1].text.find("410 Gone") != std::string::npos);
  CHECK((*rig.store->GetMessage(q->message_id))->status == "failed");
}

TEST_CASE_TEMPLATE(
    "replies: a platform that moved the conversation gets the retry at the new target, stored", F,
    test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  auto conv = rig.Ingest("e1", "c1");
  rig.engine->RunDue();  // thread root
  const std::int64_t customer_message = (*rig.store->ListMessages(conv))[0].id;
  // Telegram's answer for a group upgraded to a supergroup: refused, sent again elsewhere.
  class MovingConnector final : public PlatformConnector {
   public:
    std::string Name() const override { return "generic"; }
    std::string DisplayName() const override { return "Test"; }
    Status Verify(const InboundRequest&) const override { return Status::Ok(); }
    Result<ParsedWebhook> Parse(const InboundRequest&) const override { return ParsedWebhook{}; }
    DeliveryOutcome SendReply(const ReplyRequest& r, HttpClient&) const override {
      targets.push_back(r.reply_target);
      if (r.reply_target == R"({"chat_id":2})") return DeliveryOutcome::Done("2:7");
      auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "moved to chat 2");
      o.retry_after_ms = 0;
      o.new_reply_target = R"({"chat_id":2})";
      return o;
    }
    HttpRequest SampleWebhook(const std::string&, const std::string&, const std::string&,
                              UnixMs) const override {
      return {};
    }
    mutable std::vector<std::string> targets;
  };
  auto moving = std::make_unique<MovingConnector>();
  MovingConnector* connector = moving.get();
  rig.connectors["generic"] = std::move(moving);
  auto q = rig.store->QueueReply(
      NewReply{conv, customer_message, "U1", "on it", "generic:", std::nullopt}, rig.clock.NowMs());
  rig.engine->RunDue();
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kPending);
  CHECK(rig.Get(q->delivery_id).attempts == 0);  // a redirect, not a failure
  CHECK((*rig.store->GetMessage(customer_message))->reply_target == R"({"chat_id":2})");
  rig.engine->RunDue();  // due at once
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kDone);
  REQUIRE(connector->targets.size() == 2);
  CHECK(connector->targets[1] == R"({"chat_id":2})");
  CHECK((*rig.store->GetMessage(q->message_id))->platform_message_id == "2:7");
}

TEST_CASE_TEMPLATE("a reply waits for its conversation's thread root", F, test::SqliteFactory,
                   test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  auto conv = rig.Ingest("e1", "c1");
  auto q = test::QueueReplyToOpener(*rig.store, conv, "U1", "hi", "generic:", rig.clock.NowMs());
  rig.chat.PushOutcome(DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack unreachable"));
  rig.engine->RunDue();
  rig.engine->RunDue();
  CHECK(rig.http.requests().empty());
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kPending);
  rig.clock.Advance(5'000);
  rig.engine->RunDue();
  rig.engine->RunDue();
  CHECK(rig.http.requests().size() == 1);
}

TEST_CASE_TEMPLATE(
    "a failed store write while recording an outcome is retried, then left for recovery", F,
    test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  test::FailingStore failing(*rig.store, 2);  // write 1: ClaimDue, write 2: FinishDelivery
  DeliveryDeps d = rig.Deps(failing, rig.chat);
  DeliveryEngine engine(d);
  engine.RunDue();
  CHECK(failing.writes() == 3);  // the retry of FinishDelivery succeeded
  CHECK(rig.Get(1).state == DeliveryState::kDone);
}

TEST_CASE_TEMPLATE(
    "an outcome the database was away to record is written once it is back, however long it "
    "was away — the heartbeat keeps its claim meanwhile — and dropped if recovery settled it",
    F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.Ingest("e2", "c2");
  test::FailingStore failing(*rig.store, 0);
  DeliveryDeps d = rig.Deps(failing, rig.chat);
  DeliveryEngine engine(d);
  // The database goes away while the attempts run: the posts are made, their outcomes wait.
  failing.after_claim = [&](const std::vector<Delivery>&) { failing.Crash(); };
  engine.RunDue();
  CHECK(rig.chat.posts().size() == 2);
  // Away for 10 s, many more passes than the few quick tries.
  for (int s = 0; s < 10; ++s) {
    rig.clock.Advance(1'000);
    engine.RunDue();
  }
  failing.after_claim = nullptr;
  failing.Restart();
  rig.clock.Advance(1'000);
  engine.RunDue();
  CHECK(rig.Get(1).state == DeliveryState::kDone);
  CHECK(rig.Get(2).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 2);

  // Away for ten leases: the outcome is still known here and written once the database is
  // back; the owner's heartbeat renews the claim first, so no recovery posts it again.
  rig.Ingest("e3", "c3");
  failing.after_claim = [&](const std::vector<Delivery>&) { failing.Crash(); };
  engine.RunDue();
  CHECK(rig.chat.posts().size() == 3);
  for (int s = 0; s < 10; ++s) {
    rig.clock.Advance(d.lease_ms);
    engine.RunDue();
  }
  failing.after_claim = nullptr;
  failing.Restart();
  engine.Heartbeat();
  engine.RunDue();
  CHECK(rig.Get(3).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 3);

  // Away past the lease, and another instance's recovery settled the row meanwhile (a chat
  // post goes back to pending and is posted again): the late outcome is not written over it.
  rig.Ingest("e4", "c4");
  failing.after_claim = [&](const std::vector<Delivery>&) { failing.Crash(); };
  engine.RunDue();
  CHECK(rig.chat.posts().size() == 4);
  rig.clock.Advance(d.lease_ms + 1'000);
  engine.RunDue();
  failing.after_claim = nullptr;
  failing.Restart();
  CHECK(rig.store->RecoverExpired(rig.clock.NowMs(), nullptr).value() == 1);
  CHECK(rig.Get(4).state == DeliveryState::kPending);
  UnixMs wake_at = 0;
  engine.Claim(0, wake_at);  // only writes what waits; claims nothing
  CHECK(rig.Get(4).state == DeliveryState::kPending);
  engine.RunDue();
  CHECK(rig.Get(4).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 5);  // chat is at least once
}

TEST_CASE_TEMPLATE(
    "outcomes a store refuses are tried again quickly a few times, then once a second — one "
    "refused call per pass however many wait, oldest first",
    F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.Ingest("e2", "c2");
  rig.Ingest("e3", "c3");
  test::FailingStore failing(*rig.store, 0);
  DeliveryEngine engine(rig.Deps(failing, rig.chat));
  failing.refuse_finishes = true;  // claims go through, outcomes do not
  CHECK(engine.RunDue() == 3);
  CHECK(rig.chat.posts().size() == 3);
  const int refused_by_attempts = failing.refused_finishes;
  CHECK(refused_by_attempts >= 3);
  std::vector<UnixMs> waits;
  for (int pass = 0; pass < 6; ++pass) {
    const int before = failing.refused_finishes;
    UnixMs wake_at = 0;
    CHECK(engine.Claim(10, wake_at).empty());       // nothing new to claim
    CHECK(failing.refused_finishes - before == 1);  // one try per pass, not one per outcome
    waits.push_back(wake_at - rig.clock.NowMs());
  }
  // The quick tries (the attempt's own and RunDue's count too), then once a second.
  CHECK(waits.front() == 100);
  CHECK(waits.back() == 1000);
  failing.refuse_finishes = false;
  UnixMs wake_at = 0;
  engine.Claim(10, wake_at);
  CHECK(rig.Get(1).state == DeliveryState::kDone);
  CHECK(rig.Get(2).state == DeliveryState::kDone);
  CHECK(rig.Get(3).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 3);
}

TEST_CASE_TEMPLATE(
    "a claim that committed as its connection broke is given back once the database answers, "
    "and sent once",
    F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  test::FailingStore failing(*rig.store, 0);
  DeliveryDeps d = rig.Deps(failing, rig.chat);
  DeliveryEngine engine(d);
  failing.lose_claim_answers = 1;
  CHECK(engine.RunDue() == 0);  // claimed in the store; the engine never heard of it
  CHECK(rig.Get(1).state == DeliveryState::kSending);
  CHECK(rig.Get(1).owner == engine.owner());
  CHECK(engine.RunDue() == 1);  // given back, then claimed and sent
  CHECK(rig.Get(1).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 1);
  // Claims the engine holds (queued or running) are left alone.
  rig.Ingest("e2", "c2");
  UnixMs wake_at = 0;
  auto held = engine.Claim(10, wake_at);
  REQUIRE(held.size() == 1);
  rig.Ingest("e3", "c3");
  failing.lose_claim_answers = 1;
  CHECK(engine.Claim(10, wake_at).empty());
  auto again = engine.Claim(10, wake_at);  // e3 given back and claimed again, e2 kept
  REQUIRE(again.size() == 1);
  CHECK(again[0].id == 3);
  CHECK(rig.Get(2).state == DeliveryState::kSending);
  engine.Execute(held[0]);
  engine.Execute(again[0]);
  CHECK(rig.Get(2).state == DeliveryState::kDone);
  CHECK(rig.Get(3).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 3);
}

}  // namespace duplex

namespace duplex {

TEST_CASE_TEMPLATE("a throttled target never makes another delivery run twice in one claim", F,
                   test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.limiter.SetLimit("chat:C1", {0.001, 1});
  rig.Ingest("a", "a", "C1");
  rig.Ingest("b", "b", "C1");  // throttled: C1's one token goes to "a"
  rig.Ingest("c", "c", "C2");
  rig.Ingest("d", "d", "C2");
  // With a limit of 3 the first query returns a, b, c; skipping b makes the engine query
  // again, and that second query sees a and c again (not yet marked sending).
  CHECK(rig.engine->RunDue(3) == 3);
  std::map<std::string, int> seen;
  for (const auto& p : rig.chat.posts()) seen[p.card->text]++;
  CHECK(seen == std::map<std::string, int>{{"text a", 1}, {"text c", 1}, {"text d", 1}});
}

}  // namespace duplex

namespace duplex {
namespace {

// Replies for conversation "boom" throw from inside the connector (as a strict JSON dump of
// bad text would); others go through the generic connector.
class ThrowingConnector final : public PlatformConnector {
 public:
  explicit ThrowingConnector(const PlatformConnector& real) : real_(real) {}
  std::string Name() const override { return "generic"; }
  std::string DisplayName() const override { return "Webhook"; }
  Status Verify(const InboundRequest&) const override { return Status::Ok(); }
  Result<ParsedWebhook> Parse(const InboundRequest&) const override { return ParsedWebhook{}; }
  DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const override {
    if (reply.conversation_key == "boom") throw std::runtime_error("connector exploded");
    return real_.SendReply(reply, http);
  }
  HttpRequest SampleWebhook(const std::string&, const std::string&, const std::string&,
                            UnixMs) const override {
    return {};
  }

 private:
  const PlatformConnector& real_;
};

// Chat posts whose card text is "text boom" throw; the rest are recorded.
class ThrowingPoster final : public ChatPoster {
 public:
  explicit ThrowingPoster(test::RecordingPoster& real) : real_(real) {}
  const ChatDialect& Dialect() const override { return real_.Dialect(); }
  DeliveryOutcome Post(const ChatMessage& m) override {
    if (m.card && m.card->text == "text boom") throw std::logic_error("poster exploded");
    return real_.Post(m);
  }
  DeliveryOutcome Update(const ChatMessage& m, const std::string& id) override {
    return real_.Update(m, id);
  }

 private:
  test::RecordingPoster& real_;
};

}  // namespace

TEST_CASE_TEMPLATE(
    "a reply whose text is not valid UTF-8 goes out with U+FFFD in place of the bad bytes", F,
    test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  auto conv = rig.Ingest("e1", "c1");
  rig.engine->RunDue();
  auto q = test::QueueReplyToOpener(*rig.store, conv, "U1", "caf\xe9 ok \xff",
                                    "generic:", rig.clock.NowMs());
  REQUIRE(q.ok());
  rig.engine->RunDue();
  CHECK(rig.Get(q->delivery_id).state == DeliveryState::kDone);
  REQUIRE(rig.http.requests().size() == 1);
  CHECK(nlohmann::json::parse(rig.http.requests()[0].body)["text"] ==
        "caf\xef\xbf\xbd ok \xef\xbf\xbd");
  rig.engine->RunDue();  // the confirmation quotes it, escaped the same way when posted
  CHECK(rig.chat.posts().size() == 2);
}

TEST_CASE_TEMPLATE(
    "an exception inside a delivery gives that delivery up with the reason, and the worker goes "
    "on with the next",
    F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  GenericConfig g;
  g.secret = "whsec_c2VjcmV0";
  g.reply_url = "http://127.0.0.1:9/replies";
  GenericConnector generic(g);
  rig.connectors["generic"] = std::make_unique<ThrowingConnector>(generic);
  ThrowingPoster poster(rig.chat);
  DeliveryDeps d = rig.Deps(*rig.store, poster);
  d.retry.jitter = 0;
  DeliveryEngine engine(d);
  DeliveryWorker worker(engine, 1);

  auto boom = rig.Ingest("e1", "boom");
  auto fine = rig.Ingest("e2", "fine");
  REQUIRE(engine.RunDue() == 2);  // both thread roots
  auto bad_reply =
      test::QueueReplyToOpener(*rig.store, boom, "U1", "never out", "generic:", rig.clock.NowMs());
  auto good_reply =
      test::QueueReplyToOpener(*rig.store, fine, "U1", "goes out", "generic:", rig.clock.NowMs());
  rig.Ingest("e3", "other");  // posted; the next card ("text boom") throws
  Mention m;
  m.platform = "generic";
  m.event_id = m.message_id = m.conversation_key = "e4";
  m.text = "text boom";
  m.author = {"a", "ana", "Ana", 5};
  REQUIRE(rig.store->Ingest({{m, "C1", ""}}, rig.clock.NowMs()).ok());

  worker.Start();
  worker.Wake();
  REQUIRE(test::WaitUntil([&] {
    return rig.Get(good_reply->delivery_id).state == DeliveryState::kDone &&
           rig.Get(bad_reply->delivery_id).state != DeliveryState::kSending &&
           rig.Get(bad_reply->delivery_id).state != DeliveryState::kPending &&
           worker.InFlight() == 0;
  }));
  // Every card is attempted by then, the one that throws included.
  REQUIRE(worker.WaitIdle(10'000));
  // The reply may have reached the platform before the exception: unknown, never resent.
  Delivery bad = rig.Get(bad_reply->delivery_id);
  CHECK(bad.state == DeliveryState::kUnknown);
  CHECK(bad.last_error == "internal error: connector exploded");
  CHECK((*rig.store->GetMessage(bad_reply->message_id))->status == "unknown");
  CHECK(rig.http.requests().size() == 1);
  CHECK(nlohmann::json::parse(rig.http.requests()[0].body)["text"] == "goes out");
  // A chat post that throws is dead with its reason; the other new card was posted.
  auto dead = rig.store->ListDeliveries({DeliveryState::kDead}, 10);
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].kind == DeliveryKind::kChatPost);
  CHECK((*dead)[0].last_error == "internal error: poster exploded");
  REQUIRE(test::WaitUntil([&] {
    for (const auto& p : rig.chat.posts()) {
      if (p.text.find("may or may not have been posted (internal error: connector exploded)") !=
          std::string::npos) {
        return true;
      }
    }
    return false;
  }));
  bool posted_e3 = false;
  for (const auto& p : rig.chat.posts())
    posted_e3 = posted_e3 || (p.card && p.card->text == "text e3");
  CHECK(posted_e3);
  CHECK(worker.Stop(5000));
}

namespace {

// Holds every chat post until the test opens the gate; says when the first one arrives.
class GatedPoster final : public ChatPoster {
 public:
  explicit GatedPoster(test::RecordingPoster& real) : real_(real) {}
  const ChatDialect& Dialect() const override { return real_.Dialect(); }
  DeliveryOutcome Post(const ChatMessage& m) override {
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
    }
    return real_.Post(m);
  }
  DeliveryOutcome Update(const ChatMessage& m, const std::string& id) override {
    return real_.Update(m, id);
  }
  bool WaitForPost() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return waiting_ > 0; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  test::RecordingPoster& real_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

template <class F>
DeliveryDeps WorkerDeps(Rig<F>& rig, ChatPoster& chat) {
  DeliveryDeps d = rig.Deps(*rig.store, chat);
  d.retry.jitter = 0;
  return d;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "the worker is idle only when nothing is due or in flight: a post held in flight keeps it "
    "busy, and once idle the post is recorded",
    F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  GatedPoster chat(rig.chat);
  DeliveryEngine engine(WorkerDeps(rig, chat));
  DeliveryWorker worker(engine, 2);
  CHECK_FALSE(worker.WaitIdle(10));  // not running: never idle
  worker.Start();
  CHECK(worker.WaitIdle(5000));  // an empty outbox

  rig.Ingest("e1", "c1");
  worker.Wake();
  REQUIRE(chat.WaitForPost());
  CHECK_FALSE(worker.WaitIdle(200));  // the post is in flight
  chat.Open();
  REQUIRE(worker.WaitIdle(5000));
  CHECK(rig.chat.posts().size() == 1);
  CHECK(rig.Get(1).state == DeliveryState::kDone);
  CHECK(worker.Stop(5000));
  CHECK_FALSE(worker.WaitIdle(10));  // stopped
}

TEST_CASE_TEMPLATE(
    "the worker is idle while a retry waits for later, and busy again when it falls due", F,
    test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  DeliveryEngine engine(WorkerDeps(rig, rig.chat));
  DeliveryWorker worker(engine, 1);
  rig.chat.PushOutcome(DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack is down"));
  rig.Ingest("e1", "c1");
  worker.Start();
  REQUIRE(test::WaitUntil([&] { return rig.Get(1).attempts == 1; }));
  // Scheduled 5 s from now on the engine's clock, which does not move by itself.
  CHECK(worker.WaitIdle(5000));
  CHECK(rig.Get(1).state == DeliveryState::kPending);
  CHECK(rig.chat.posts().empty());
  rig.clock.Advance(5'000);
  REQUIRE(worker.WaitIdle(5000));
  CHECK(rig.Get(1).state == DeliveryState::kDone);
  CHECK(rig.chat.posts().size() == 1);
  CHECK(worker.Stop(5000));
}

TEST_CASE_TEMPLATE("due work held back by the rate limiter is not idle", F, test::SqliteFactory,
                   test::PgFactory) {
  Rig<F> rig(/*per_second=*/1, /*burst=*/1);
  if (!rig.available()) return;
  DeliveryEngine engine(WorkerDeps(rig, rig.chat));
  DeliveryWorker worker(engine, 1);
  rig.Ingest("e1", "c1");
  rig.Ingest("e2", "c2");
  worker.Start();
  REQUIRE(test::WaitUntil([&] { return rig.chat.posts().size() == 1; }));
  // The second post is due, but the channel's one token is spent and the engine's clock
  // stands still: the worker waits, and is not idle.
  CHECK_FALSE(worker.WaitIdle(300));
  rig.clock.Advance(1'000);
  REQUIRE(worker.WaitIdle(5000));
  CHECK(rig.chat.posts().size() == 2);
  CHECK(worker.Stop(5000));
}

}  // namespace duplex

namespace duplex {

TEST_CASE_TEMPLATE(
    "a burst of wake-ups while the backlog waits on the chat's rate limit costs a bounded "
    "number of claim passes",
    F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.limiter.SetLimit("chat:C1", {0.001, 1});
  rig.Ingest("a", "a", "C1");
  rig.Ingest("b", "b", "C1");  // held back: C1's one token goes to "a"
  DeliveryWorker worker(*rig.engine, 2);
  worker.Start();
  REQUIRE(test::WaitUntil([&] { return rig.chat.posts().size() == 1; }));
  // Every ingest commit wakes the worker; this is a burst of them, paced like commits.
  const std::uint64_t before = worker.ClaimPasses();
  const auto began = std::chrono::steady_clock::now();
  int wakes = 0;
  while (std::chrono::steady_clock::now() - began < std::chrono::milliseconds(200)) {
    worker.Wake();
    ++wakes;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - began)
                              .count();
  const std::uint64_t passes = worker.ClaimPasses() - before;
  CAPTURE(wakes);
  CAPTURE(passes);
  CHECK(wakes > 100);
  // At most one fruitless pass per 10 ms, plus the one under way when the burst began.
  CHECK(passes <= static_cast<std::uint64_t>(elapsed_ms / 10 + 2));
  CHECK(rig.chat.posts().size() == 1);  // and "b" still waits for its token
  worker.Stop();
}

}  // namespace duplex

namespace duplex {

TEST_CASE_TEMPLATE(
    "a delivery claimed as the worker stops goes back to pending at once, not claimed until its "
    "lease runs out",
    F, test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  test::FailingStore store(*rig.store, /*fail_at=*/0);
  DeliveryDeps d = WorkerDeps(rig, rig.chat);
  d.store = &store;
  DeliveryEngine engine(d);
  DeliveryWorker worker(engine, 1);
  std::thread stopper;
  store.after_claim = [&](const std::vector<Delivery>& claimed) {
    if (claimed.empty() || stopper.joinable()) return;
    // Stop begins between the claim and the hand-over to the pool.
    stopper = std::thread([&] { worker.Stop(5000); });
    REQUIRE(test::WaitUntil([&] { return worker.Stopping(); }));
  };
  worker.Start();
  REQUIRE(test::WaitUntil([&] { return stopper.joinable(); }));
  stopper.join();
  CHECK(rig.chat.posts().empty());
  const Delivery root = rig.Get(1);
  CHECK(root.state == DeliveryState::kPending);
  CHECK(root.lease_until == 0);
}

TEST_CASE_TEMPLATE(
    "every engine is its own claim owner: a restart in the same process is a new owner", F,
    test::SqliteFactory, test::PgFactory) {
  Rig<F> rig;
  if (!rig.available()) return;
  DeliveryEngine again(WorkerDeps(rig, rig.chat));
  CHECK_FALSE(rig.engine->owner().empty());
  CHECK(again.owner() != rig.engine->owner());
}

}  // namespace duplex
