// Instances hearing of each other's work (OutboxStore::WatchOutbox). On PostgreSQL a
// delivery committed through one store wakes a watch opened on another, as one instance's
// commit wakes another's worker, and after the server restarts the watch and the pool come
// back by themselves. The restarts run on a private server (tests/support/pg_private_server.h),
// never on the shared one. SQLite has no watch.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "storage/pg_store.h"
#include "support/claims.h"
#include "support/pg_private_server.h"
#include "support/pg_test_db.h"
#include "support/store_factory.h"

namespace duplex {
namespace {

constexpr UnixMs kNow = 1'700'000'000'000;

// Counts a watch's calls; a test waits for the next one.
class Calls {
 public:
  std::function<void()> Callback() {
    return [this] {
      std::lock_guard lock(mu_);
      ++n_;
      cv_.notify_all();
    };
  }
  int count() const {
    std::lock_guard lock(mu_);
    return n_;
  }
  // True once there were more than `seen` calls; false after `timeout_ms`.
  bool WaitBeyond(int seen, int timeout_ms = 10'000) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return n_ > seen; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

}  // namespace

TEST_CASE("sqlite: no outbox watch: one process writes the file and wakes its own worker") {
  test::SqliteFactory f;
  CHECK(f.store->WatchOutbox([] {}) == nullptr);
}

TEST_CASE("postgres: what one store makes due in the outbox wakes a watch on another, on commit") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto a = test::OpenPgStore(db.url());
  auto b = test::OpenPgStore(db.url());
  Calls calls;
  auto watch = b->WatchOutbox(calls.Callback());
  REQUIRE(watch != nullptr);
  // Once connected, without any commit: what was committed before it listened is looked for.
  REQUIRE(calls.WaitBeyond(0));

  // Each step below commits one transaction that makes a delivery due; each wakes b's watch.
  int seen = calls.count();
  auto in = a->Ingest({test::MentionItem("e1", "conv-1", "hello")}, kNow);
  REQUIRE(in.ok());
  CHECK_MESSAGE(calls.WaitBeyond(seen), "a mention's chat post");

  seen = calls.count();
  const auto& mention = (*in)[0];
  NewReply reply;
  reply.conversation_id = mention.conversation_id;
  reply.parent_id = mention.message_id;
  reply.chat_user = "U1";
  reply.text = "thanks";
  reply.target = "generic:";
  auto queued = a->QueueReply(reply, kNow);
  REQUIRE(queued.ok());
  CHECK_MESSAGE(calls.WaitBeyond(seen), "a staff reply");

  // Claimed, then released unattempted (its worker stopping): another instance may take it.
  auto claimed = test::ClaimDue(*a, kNow);
  REQUIRE(claimed.size() == 1);
  seen = calls.count();
  DeliveryUpdate release;
  release.id = claimed[0].id;
  release.owner = claimed[0].owner;
  release.state = DeliveryState::kPending;
  release.count_attempt = false;
  release.next_attempt_at = kNow;
  REQUIRE(a->FinishDelivery(release, kNow).ok());
  CHECK_MESSAGE(calls.WaitBeyond(seen), "a released claim");

  test::PgQuery(db.url(), "UPDATE outbox SET state = 'dead' WHERE id = " +
                              std::to_string(queued->delivery_id));
  seen = calls.count();
  REQUIRE(a->RequeueDelivery(queued->delivery_id, kNow).ok());
  CHECK_MESSAGE(calls.WaitBeyond(seen), "a dead delivery requeued");

  // An expired claim recovered: the chat post goes back to pending.
  auto again = test::ClaimDue(*a, kNow, 100, {}, "dead-instance");
  REQUIRE_FALSE(again.empty());
  seen = calls.count();
  auto recovered = a->RecoverExpired(kNow + test::kTestLeaseMs * 10,
                                     [](const StoredMessage&, std::int64_t) { return "n"; });
  REQUIRE(recovered.ok());
  CHECK(*recovered == static_cast<int>(again.size()));
  CHECK_MESSAGE(calls.WaitBeyond(seen), "an expired claim recovered");
}

TEST_CASE(
    "postgres: after a restart (fast, then immediate) the pool and the watch come back by "
    "themselves — meanwhile calls fail at once") {
  if (test::PgPrivateServer::Skip()) return;
  test::PgPrivateServer server;
  auto store = test::OpenPgStore(server.url());
  Calls calls;
  auto watch = store->WatchOutbox(calls.Callback());
  REQUIRE(calls.WaitBeyond(0));
  for (const std::string mode : {"fast", "immediate"}) {
    CAPTURE(mode);
    server.Stop(mode);
    const int at_stop = calls.count();
    const auto start = std::chrono::steady_clock::now();
    CHECK(store->Ping().code() == StatusCode::kUnavailable);
    auto lost = store->Ingest({test::MentionItem("lost-" + mode, "c-" + mode, "x")}, kNow);
    CHECK(lost.status().code() == StatusCode::kUnavailable);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));

    server.Start();
    REQUIRE(test::WaitUntil([&] { return store->Ping().ok(); }, 15'000));
    // The watch reconnected by itself and said so once: nothing was committed meanwhile.
    REQUIRE(calls.WaitBeyond(at_stop));
    // ...and listens again: a commit now wakes it.
    const int seen = calls.count();
    auto in = store->Ingest({test::MentionItem("after-" + mode, "c-" + mode, "x")}, kNow);
    REQUIRE_MESSAGE(in.ok(), in.status().message());
    CHECK(calls.WaitBeyond(seen));
  }
  CHECK(test::PgQuery(server.url(), "SELECT count(*) FROM messages") == "2");
}

}  // namespace duplex
