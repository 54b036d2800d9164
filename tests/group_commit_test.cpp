#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "handlers/webhook_handler.h"
#include "platforms/generic/generic_connector.h"
#include "security/signatures.h"
#include "storage/group_commit.h"
#include "support/fakes.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {

namespace {

IngestItem Item(const std::string& id) {
  Mention m;
  m.platform = "generic";
  m.event_id = id;
  m.conversation_key = id;
  m.text = id;
  return {m, "C1", ""};
}

}  // namespace

TEST_CASE_TEMPLATE(
    "group commit: concurrent requests share transactions and each gets its own outcomes", F,
    test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  SystemClock clock;
  std::atomic<int> commits{0};
  GroupCommitter committer(*store, clock, 10'000, [&] { commits++; });
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string id = "e" + std::to_string(t) + "-" + std::to_string(i);
        auto r = committer.Ingest({Item(id), Item(id)});
        if (r.ok() && r->size() == 2 && !(*r)[0].duplicate && (*r)[1].duplicate) ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 320);
  auto stats = committer.Stats();
  CHECK(stats.requests == 320);
  CHECK(stats.batches == static_cast<std::uint64_t>(commits.load()));
  CHECK(stats.batches <= 320);
  CHECK(store->GetOutboxStats()->pending == 320);
}

TEST_CASE_TEMPLATE("group commit off (a batch cap of one): every request is its own transaction", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  SystemClock clock;
  std::atomic<int> commits{0};
  GroupCommitter committer(
      *store, clock, 10'000, [&] { commits++; }, 1);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string id = "e" + std::to_string(t) + "-" + std::to_string(i);
        auto r = committer.Ingest({Item(id), Item(id + "b")});
        if (r.ok() && r->size() == 2 && !(*r)[0].duplicate && !(*r)[1].duplicate) ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 80);
  auto stats = committer.Stats();
  CHECK(stats.requests == 80);
  CHECK(stats.batches == 80);
  CHECK(stats.max_batch == 1);
  CHECK(stats.size_buckets[0] == 80);
  CHECK(commits == 80);
  CHECK(store->GetOutboxStats()->pending == 160);
}

TEST_CASE_TEMPLATE("group commit: a stopped committer refuses new work", F, test::SqliteFactory,
                   test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  SystemClock clock;
  GroupCommitter committer(*store, clock);
  committer.Stop();
  CHECK(committer.Ingest({Item("x")}).status().code() == StatusCode::kUnavailable);
}

TEST_CASE_TEMPLATE(
    "group commit: a full queue answers Unavailable at once (503 to the webhook), and what was "
    "queued is still committed",
    F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& store = f.store;
  SystemClock clock;
  // The writer is held inside its first commit's callback: that batch is out of the queue,
  // and nothing else is written until it is released.
  std::promise<void> writer_held;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> commits{0};
  GroupCommitter committer(*store, clock, /*max_queued_requests=*/1, [&] {
    if (commits++ == 0) {
      writer_held.set_value();
      released.wait();
    }
  });
  // Declared after the committer and before the requests: a failed REQUIRE below still lets
  // the writer go, so the requests' futures can finish.
  struct LetGo {
    std::promise<void>& release;
    bool done = false;
    void operator()() {
      if (!done) release.set_value();
      done = true;
    }
    ~LetGo() { (*this)(); }
  } let_go{release};
  auto first = std::async(std::launch::async, [&] { return committer.Ingest({Item("a")}); });
  writer_held.get_future().wait();
  // Two requests race for the one place in the queue: one takes it and waits for the writer,
  // the other is refused without waiting.
  auto b = std::async(std::launch::async, [&] { return committer.Ingest({Item("b")}); });
  auto c = std::async(std::launch::async, [&] { return committer.Ingest({Item("c")}); });
  auto ready = [](auto& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  };
  REQUIRE(test::WaitUntil([&] { return ready(b) || ready(c); }));
  const bool b_refused = ready(b);
  auto& refused = b_refused ? b : c;
  auto& queued = b_refused ? c : b;
  auto refusal = refused.get();
  CHECK(refusal.status().code() == StatusCode::kUnavailable);
  CHECK(refusal.status().message() == "overloaded, retry later");
  CHECK_FALSE(ready(queued));  // waiting for the held writer

  // The queue is still full: a webhook now is answered 503, and stores nothing.
  GenericConfig gc;
  gc.secret = "whsec_c2VjcmV0";
  GenericConnector connector(gc);
  WebhookDeps deps;
  deps.committer = &committer;
  deps.route = [](Mention m) { return IngestItem{std::move(m), "C1", ""}; };
  InboundRequest req;
  req.method = "POST";
  req.body = R"({"id":"m1","text":"hi","author":{"id":"a"}})";
  req.now = clock.NowMs();
  const std::string ts = std::to_string(req.now / 1000);
  req.headers = {
      {"webhook-id", "wh-1"},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(gc.secret, "wh-1", ts, req.body)}};
  HttpAnswer full = HandleWebhook(connector, req, deps);
  CHECK(full.status == 503);
  CHECK(full.body.find("overloaded") != std::string::npos);

  let_go();
  CHECK(first.get().ok());
  CHECK(queued.get().ok());
  CHECK(store->GetOutboxStats()->pending == 2);  // a and the queued one; the refused one not
  // With room again, the webhook's retry is accepted.
  HttpAnswer retry = HandleWebhook(connector, req, deps);
  CHECK(retry.status == 200);
  CHECK(store->GetOutboxStats()->pending == 3);
}

TEST_CASE_TEMPLATE("a failed commit answers 503 so the platform retries, and leaves no half state",
                   F, test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  auto& real = f.store;
  test::FailingStore store(*real, 1);
  SystemClock clock;
  GroupCommitter committer(store, clock);
  GenericConfig gc;
  gc.secret = "whsec_c2VjcmV0";
  GenericConnector connector(gc);
  WebhookDeps deps;
  deps.committer = &committer;
  deps.route = [](Mention m) { return IngestItem{std::move(m), "C1", ""}; };
  InboundRequest req;
  req.method = "POST";
  req.body = R"({"id":"m1","text":"hi","author":{"id":"a"}})";
  req.now = clock.NowMs();
  std::string ts = std::to_string(req.now / 1000);
  req.headers = {
      {"webhook-id", "wh-1"},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(gc.secret, "wh-1", ts, req.body)}};
  HttpAnswer first = HandleWebhook(connector, req, deps);
  CHECK(first.status == 503);
  CHECK(first.body.find("database") != std::string::npos);
  CHECK_FALSE(real->GetConversation(1)->has_value());
  CHECK(real->GetOutboxStats()->pending == 0);
  // The platform's retry is accepted normally: the failed attempt left no dedup mark.
  HttpAnswer retry = HandleWebhook(connector, req, deps);
  CHECK(retry.status == 200);
  CHECK(retry.body.find("\"accepted\":1") != std::string::npos);
}

}  // namespace duplex
