// Thread roots: posted with the conversation's state and SLA badge, re-rendered in place by
// chat_update deliveries as the state changes; reopening shows in the thread.
#include <doctest/doctest.h>

#include "commands/conversation_view.h"
#include "support/staff_rig.h"

namespace duplex {

namespace {

bool Has(const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return true;
  MESSAGE("missing '" << needle << "' in:\n" << text);
  return false;
}

}  // namespace

TEST_CASE("countdowns round up, so a fresh conversation reads the full target") {
  CHECK(TimeLeft(20 * kMinuteMs - 1) == "20m");
  CHECK(TimeLeft(20 * kMinuteMs) == "20m");
  CHECK(TimeLeft(kMinuteMs + 1) == "2m");
  CHECK(TimeLeft(44'200) == "45s");
  CHECK(TimeLeft(0) == "0s");
  CHECK(TimeLeft(3 * 60 * kMinuteMs - 30'000) == "3h");
}

TEST_CASE_TEMPLATE("a thread root is posted with its state and SLA badge, thread messages are not",
                   F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1", "ana", 50'000);
  rig.clock.Advance(2 * kMinuteMs);
  rig.Ingest("e2", "c1");
  rig.Deliver();
  auto posts = rig.chat.posts();
  REQUIRE(posts.size() == 2);
  CHECK(Has(posts[0].card->state_line, "Open · SLA: 18m left · due <!date^"));
  CHECK(posts[0].card->vip);
  CHECK(posts[1].card->state_line.empty());
}

TEST_CASE_TEMPLATE("a root update edits the root message in place with the current state", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Ingest("e2", "c1");
  rig.Deliver();
  rig.Command("assign 1 U0BOB");
  rig.Command("close 1");
  rig.Deliver();
  auto updates = rig.chat.updates();
  REQUIRE(updates.size() == 1);  // both changes, one update: it renders when it runs
  CHECK(updates[0].first == rig.Get(id).chat_thread);
  CHECK(updates[0].second.channel == "C1");
  CHECK(updates[0].second.thread.empty());
  REQUIRE(updates[0].second.card);
  CHECK(updates[0].second.card->text == "text e1");  // the root's own message, not the latest
  CHECK(updates[0].second.card->state_line == "Closed · assigned to <@U0BOB>");
}

TEST_CASE_TEMPLATE(
    "the first reply on the platform updates the root to replied, with the answer time", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.clock.Advance(8 * kMinuteMs);
  rig.ReplyAndDeliver(id);
  CHECK(Has(rig.LastStateLine(), "Replied · answered in 8m"));
  const auto count = rig.chat.updates().size();
  rig.ReplyAndDeliver(id);  // already replied: the root stays as it is
  CHECK(rig.chat.updates().size() == count);
}

TEST_CASE_TEMPLATE("a late first reply shows it missed the SLA", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.clock.Advance(32 * kMinuteMs);
  rig.ReplyAndDeliver(id);
  CHECK(Has(rig.LastStateLine(), "Replied · answered in 32m, over the 20m SLA"));
}

TEST_CASE_TEMPLATE(
    "a customer message that reopens a closed conversation says so in the thread and on the root",
    F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.Command("close 1");
  rig.Deliver();
  REQUIRE(rig.LastStateLine() == "Closed");
  rig.clock.Advance(kMinuteMs);
  rig.Ingest("e2", "c1");
  rig.Deliver();
  auto posts = rig.chat.posts();
  REQUIRE(posts.back().card);
  CHECK(posts.back().card->reopened);
  CHECK(posts.back().thread == rig.Get(id).chat_thread);
  CHECK(Has(rig.LastStateLine(), "Open · SLA: 20m left"));
}

TEST_CASE_TEMPLATE("a root update for a conversation whose root never reached chat does nothing", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.chat.PushOutcome(
      DeliveryOutcome::Fail(OutcomeKind::kPermanent, "Slack error: channel_not_found"));
  rig.Deliver();
  rig.Command("assign 1");
  rig.Deliver();
  CHECK(rig.chat.updates().empty());
  auto done = rig.store->ListDeliveries({DeliveryState::kDone}, 10);
  REQUIRE(done.ok());
  bool update_done = false;
  for (const auto& d : *done) update_done = update_done || d.kind == DeliveryKind::kChatUpdate;
  CHECK(update_done);
}

TEST_CASE_TEMPLATE("a root update is retried on a transient failure, like any chat post", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.Command("assign 1");
  rig.chat.PushOutcome(
      DeliveryOutcome::Fail(OutcomeKind::kUncertain, "Slack server error (HTTP 500)"));
  rig.Deliver();
  rig.Deliver();
  CHECK(rig.chat.updates().empty());
  rig.clock.Advance(5'000);
  rig.Deliver();
  CHECK(rig.chat.updates().size() == 1);
}

}  // namespace duplex
