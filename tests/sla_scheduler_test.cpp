// The SLA scheduler driven by a FakeClock: reminders and breach notices in the thread, once
// per cycle, with the assignee mentioned; the root's badge follows.
#include <doctest/doctest.h>

#include "support/staff_rig.h"

namespace duplex {

namespace {

bool Has(const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return true;
  MESSAGE("missing '" << needle << "' in:\n" << text);
  return false;
}

int Count(const std::vector<std::string>& notices, const std::string& needle) {
  int n = 0;
  for (const auto& t : notices) n += t.find(needle) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "a reminder remind_before ahead and a breach after the deadline, each once, mentioning the "
    "assignee",
    F, test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);  // 20 minutes, reminder 5 minutes before
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.Command("assign 1 U0BOB");
  rig.Deliver();
  rig.clock.Advance(15 * kMinuteMs - 1);
  CHECK(rig.scheduler->Tick() == 0);
  rig.clock.Advance(1);
  CHECK(rig.scheduler->Tick() == 1);
  CHECK(rig.scheduler->Tick() == 0);
  rig.Deliver();
  auto notices = rig.Notices();
  REQUIRE(Count(notices, "Reminder") == 1);
  CHECK(Has(notices.back(),
            "Reminder: #1 has no reply yet; its first-response SLA runs out in 5m (<!date^"));
  CHECK(Has(notices.back(), "<@U0BOB>"));
  CHECK(rig.chat.posts().back().thread == "ts-1");
  CHECK(Has(rig.LastStateLine(), "Assigned to <@U0BOB> · SLA: 5m left"));

  rig.clock.Advance(5 * kMinuteMs);
  CHECK(rig.scheduler->Tick() == 0);  // the deadline itself is still in time
  rig.clock.Advance(1);
  CHECK(rig.scheduler->Tick() == 1);
  rig.clock.Advance(60 * kMinuteMs);
  CHECK(rig.scheduler->Tick() == 0);
  rig.Deliver();
  notices = rig.Notices();
  CHECK(Count(notices, "Reminder") == 1);
  REQUIRE(Count(notices, "SLA breached") == 1);
  CHECK(Has(notices.back(), "SLA breached: #1 got no reply within 20m (due <!date^"));
  CHECK(Has(notices.back(), "<@U0BOB>"));
  CHECK(Has(rig.LastStateLine(), "SLA: overdue since <!date^"));
  CHECK(rig.Get(id).sla_breached_at.has_value());
}

TEST_CASE_TEMPLATE("with nobody assigned, the alert says how to take the conversation", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.Deliver();
  rig.clock.Advance(16 * kMinuteMs);
  REQUIRE(rig.scheduler->Tick() == 1);
  rig.Deliver();
  CHECK(Has(rig.Notices().back(), "Nobody is assigned: `/duplex assign 1 me` takes it."));
}

TEST_CASE_TEMPLATE("a restarted scheduler does not repeat alerts", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.clock.Advance(16 * kMinuteMs);
  REQUIRE(rig.scheduler->Tick() == 1);
  SlaSchedulerDeps sd;
  sd.store = rig.store.get();
  sd.clock = &rig.clock;
  sd.dialect = &rig.dialect;
  sd.sla = rig.options.sla;
  SlaScheduler again(sd);
  CHECK(again.Tick() == 0);
  rig.clock.Advance(5 * kMinuteMs);
  CHECK(again.Tick() == 1);  // the breach
  CHECK(rig.scheduler->Tick() == 0);
}

TEST_CASE_TEMPLATE(
    "the first reply that reaches the platform stops the clock, a queued one does not", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto answered = rig.Ingest("e1", "c1");
  auto queued_only = rig.Ingest("e2", "c2");
  rig.Deliver();
  rig.clock.Advance(10 * kMinuteMs);
  rig.ReplyAndDeliver(answered);
  rig.http.PushStatus(410, "gone");  // the other reply fails for good
  rig.ReplyAndDeliver(queued_only);
  REQUIRE(test::QueueReplyToOpener(*rig.store, queued_only, "U1", "still queued",
                                   "generic:", rig.clock.NowMs())
              .ok());
  rig.clock.Advance(60 * kMinuteMs);
  CHECK(rig.scheduler->Tick() == 1);
  CHECK_FALSE(rig.Get(answered).sla_breached_at.has_value());
  CHECK(rig.Get(queued_only).sla_breached_at.has_value());
  CHECK(Has(rig.Command("show 1"), "answered in 10m"));
}

TEST_CASE_TEMPLATE("a late start owes only the breach, not a stale reminder", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.clock.Advance(3 * 60 * kMinuteMs);
  CHECK(rig.scheduler->Tick() == 1);
  rig.Deliver();
  auto notices = rig.Notices();
  CHECK(Count(notices, "Reminder") == 0);
  CHECK(Count(notices, "SLA breached") == 1);
  CHECK(rig.scheduler->Tick() == 0);
}

TEST_CASE_TEMPLATE("a route's own SLA target decides its reminders", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRigOptions options;
  options.store = F::kKind;
  options.sla.route_first_response_ms = {{"vip", 10 * kMinuteMs}, {"slow", 120 * kMinuteMs}};
  test::StaffRig rig(options);
  if (!rig.available()) return;
  auto vip = rig.Ingest("e1", "c1", "ana", 10, "C1", "vip");
  auto normal = rig.Ingest("e2", "c2", "bob", 10, "C1", "");
  auto slow = rig.Ingest("e3", "c3", "cy", 10, "C1", "slow");
  rig.clock.Advance(5 * kMinuteMs);  // 5m: vip's reminder
  CHECK(rig.scheduler->Tick() == 1);
  CHECK(rig.Get(vip).sla_reminded_at.has_value());
  rig.clock.Advance(5 * kMinuteMs + 1);  // just past 10m: vip's breach
  CHECK(rig.scheduler->Tick() == 1);
  CHECK(rig.Get(vip).sla_breached_at.has_value());
  CHECK_FALSE(rig.Get(normal).sla_reminded_at.has_value());
  rig.clock.Advance(5 * kMinuteMs);  // 15m: the default's reminder
  CHECK(rig.scheduler->Tick() == 1);
  CHECK(rig.Get(normal).sla_reminded_at.has_value());
  rig.clock.Advance(100 * kMinuteMs);  // 115m: the default's breach, slow's reminder
  CHECK(rig.scheduler->Tick() == 2);
  CHECK(rig.Get(normal).sla_breached_at.has_value());
  CHECK(rig.Get(slow).sla_reminded_at.has_value());
  CHECK_FALSE(rig.Get(slow).sla_breached_at.has_value());
  CHECK(Has(rig.Command("show 1"), "SLA: overdue since"));
  CHECK(Has(rig.Command("show 3"), "SLA: 5m left"));  // 5m less the millisecond, rounded up
}

TEST_CASE_TEMPLATE(
    "closed conversations owe nothing, a reopened one gets a new clock and new alerts", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  auto id = rig.Ingest("e1", "c1");
  rig.clock.Advance(21 * kMinuteMs);
  REQUIRE(rig.scheduler->Tick() == 1);  // breach of the first cycle
  rig.Command("close 1");
  rig.clock.Advance(60 * kMinuteMs);
  CHECK(rig.scheduler->Tick() == 0);
  SUBCASE("reopened by staff") {
    rig.Command("reopen 1");
  }
  SUBCASE("reopened by the customer") {
    rig.Ingest("e2", "c1");
  }
  CHECK(rig.scheduler->Tick() == 0);
  rig.clock.Advance(15 * kMinuteMs);
  CHECK(rig.scheduler->Tick() == 1);
  CHECK(rig.Get(id).sla_reminded_at == rig.clock.NowMs());
  rig.clock.Advance(5 * kMinuteMs + 1);
  CHECK(rig.scheduler->Tick() == 1);
  rig.Deliver();
  CHECK(Count(rig.Notices(), "SLA breached") == 2);
}

TEST_CASE_TEMPLATE("a store failure while recording leaves the alert for the next pass", F,
                   test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.clock.Advance(16 * kMinuteMs);
  test::FailingStore failing(*rig.store, 1);
  SlaSchedulerDeps sd;
  sd.store = &failing;
  sd.clock = &rig.clock;
  sd.dialect = &rig.dialect;
  sd.sla = rig.options.sla;
  SlaScheduler scheduler(sd);
  CHECK(scheduler.Tick() == 0);
  CHECK_FALSE(rig.Get(1).sla_reminded_at.has_value());
  CHECK(scheduler.Tick() == 1);
}

TEST_CASE_TEMPLATE("the background scheduler runs passes until stopped", F, test::SqliteFactory,
                   test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  rig.Ingest("e1", "c1");
  rig.clock.Advance(16 * kMinuteMs);
  int woken = 0;
  SlaSchedulerDeps sd;
  sd.store = rig.store.get();
  sd.clock = &rig.clock;
  sd.dialect = &rig.dialect;
  sd.sla = rig.options.sla;
  sd.wake_delivery = [&] { ++woken; };
  SlaScheduler scheduler(sd);
  scheduler.Start(10);
  CHECK(test::WaitUntil([&] { return rig.Get(1).sla_reminded_at.has_value(); }));
  scheduler.Stop();
  CHECK(woken == 1);
}

}  // namespace duplex
