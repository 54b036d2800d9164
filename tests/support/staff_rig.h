// StaffRig: the staff workflow without HTTP — a real store (SQLite in a temp dir, or
// PostgreSQL in a database of its own), a FakeClock, the delivery engine posting to a
// RecordingPoster, the CommandService and the SLA scheduler, in the Slack dialect unless the
// options name another. Tests run commands, ticks and deliveries step by step. A test runs on
// both stores as a contract test (support/store_factory.h):
//   TEST_CASE_TEMPLATE("…", F, test::SqliteFactory, test::PgFactory) {
//     test::StaffRig rig(F::kKind);
//     if (!rig.available()) return;  // PostgreSQL without DUPLEX_TEST_PG_URL: skipped
#pragma once

#include <memory>
#include <string>

#include "chat/slack/slack_poster.h"
#include "commands/command_service.h"
#include "delivery/delivery_engine.h"
#include "delivery/sla_scheduler.h"
#include "storage/store.h"
#include "support/fakes.h"
#include "support/pg_test_db.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex::test {

// Queues a reply as `/duplex reply` does: to the message ReplyParent chooses.
Result<QueuedReply> QueueReplyToOpener(Store& store, std::int64_t conversation,
                                       const std::string& user, const std::string& text,
                                       const std::string& target, UnixMs now);

struct StaffRigOptions {
  StoreKind store = StoreKind::kSqlite;
  SlaSettings sla;  // default 20 min, reminder 5 min before
  std::int64_t vip_followers = 10'000;
  const ChatDialect* dialect = nullptr;  // the chat's dialect; default: Slack's
  // Schema steps after the built-in ones, in the chosen store's SQL (fault injection).
  std::vector<std::string> extra_migrations;
};

class StaffRig {
 public:
  explicit StaffRig(StaffRigOptions options = {});
  explicit StaffRig(StoreKind store);

  // False only on PostgreSQL without a server: the skip line is printed, nothing is set up,
  // and the test returns.
  bool available() const { return store != nullptr; }

  StaffRigOptions options;  // first: the poster below reads its dialect

  // A generic mention from `handle`; returns its conversation id.
  std::int64_t Ingest(const std::string& event_id, const std::string& conversation,
                      const std::string& handle = "ana", std::int64_t followers = 100,
                      const std::string& channel = "C1", const std::string& route = "");
  // `/duplex <text>` typed by `user` in `channel`; the answer's text.
  std::string Command(const std::string& text, const std::string& user = "U1",
                      const std::string& channel = "C1");
  // Runs deliveries until none is due (every post, notice, reply and root update).
  int Deliver();
  // Queues a reply and delivers it; the platform answers 200.
  void ReplyAndDeliver(std::int64_t conversation, const std::string& user = "U1");
  Conversation Get(std::int64_t conversation);
  // Texts of thread notices (posts without a card), in order.
  std::vector<std::string> Notices() const;
  // The state line of the last root update, or "" if there was none.
  std::string LastStateLine() const;
  // Runs `sql` on the store's database itself, past the Store port (what a crash would leave,
  // a fault switched on): the first row's first column as text, "" when there is no row.
  std::string Sql(const std::string& sql);

  TempDir dir;
  FakeClock clock;
  SlackDialect dialect;
  std::unique_ptr<PgTestDatabase> pg;  // PostgreSQL only; outlives the store
  std::unique_ptr<Store> store;
  RecordingPoster chat{options.dialect ? options.dialect : &dialect};
  FakeHttpClient http;
  ConnectorMap connectors;
  RateLimiter limiter;
  std::unique_ptr<DeliveryEngine> engine;
  std::unique_ptr<CommandService> commands;
  std::unique_ptr<SlaScheduler> scheduler;
};

}  // namespace duplex::test
