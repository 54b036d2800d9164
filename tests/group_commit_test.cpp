#include <doctest/doctest.h>

#include <thread>

#include "handlers/webhook_handler.h"
#include "platforms/generic/generic_connector.h"
#include "security/signatures.h"
#include "storage/group_commit.h"
#include "storage/sqlite_store.h"
#include "support/fakes.h"
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

TEST_CASE("group commit: concurrent requests share transactions and each gets its own outcomes") {
  test::TempDir dir;
  auto store = std::move(*SqliteStore::Open({dir.File("d.db")}));
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

TEST_CASE("group commit off (a batch cap of one): every request is its own transaction") {
  test::TempDir dir;
  auto store = std::move(*SqliteStore::Open({dir.File("d.db")}));
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

TEST_CASE("group commit: a stopped committer refuses new work, a full queue answers Unavailable") {
  test::TempDir dir;
  auto store = std::move(*SqliteStore::Open({dir.File("d.db")}));
  SystemClock clock;
  GroupCommitter committer(*store, clock);
  committer.Stop();
  CHECK(committer.Ingest({Item("x")}).status().code() == StatusCode::kUnavailable);
}

TEST_CASE("a failed commit answers 503 so the platform retries, and leaves no half state") {
  test::TempDir dir;
  auto real = std::move(*SqliteStore::Open({dir.File("d.db")}));
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
  req.headers = {{"webhook-id", "wh-1"}, {"webhook-timestamp", ts},
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
