// Jobs one instance runs at a time (core/lease.h): the lease contract on every store, the SLA
// scheduler and the X token refresh on two instances sharing one PostgreSQL database.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include <nlohmann/json.hpp>

#include "delivery/sla_scheduler.h"
#include "platforms/x/x_oauth2.h"
#include "support/fakes.h"
#include "support/staff_rig.h"
#include "support/store_factory.h"

namespace duplex {
namespace {

constexpr UnixMs kT0 = 1'700'000'000'000;

// A clock that moves on by `step` each time it is read: a pass that takes long.
class SlowClock final : public Clock {
 public:
  SlowClock(UnixMs start, UnixMs step) : now_(start), step_(step) {}
  UnixMs NowMs() const override { return now_.fetch_add(step_); }

 private:
  mutable std::atomic<UnixMs> now_;
  const UnixMs step_;
};

// One instance's SLA scheduler on its own connection to the shared database.
struct SlaInstance {
  SlaInstance(Store& store, const Clock& clock, const std::string& owner)
      : lease(store, "sla-scheduler", owner, 60'000) {
    SlaSchedulerDeps sd;
    sd.store = &store;
    sd.clock = &clock;
    sd.dialect = &chat.Dialect();
    sd.lease = &lease;
    scheduler = std::make_unique<SlaScheduler>(sd);
  }
  test::RecordingPoster chat;  // for its dialect
  Lease lease;
  std::unique_ptr<SlaScheduler> scheduler;
};

int CountNotices(const std::string& url, const std::string& like) {
  return std::stoi(test::PgQuery(
      url,
      "SELECT count(*) FROM outbox WHERE kind = 'chat_notice' AND payload LIKE '" + like + "'"));
}

x::XOAuth2Config RefreshingConfig() {
  x::XOAuth2Config c;
  c.api_base = "https://api.x.test";
  c.client_id = "c1";
  c.refresh_token = "r1";
  return c;
}

std::string TokenAnswer(const std::string& access, const std::string& refresh) {
  return nlohmann::json{{"access_token", access}, {"expires_in", 7200}, {"refresh_token", refresh}}
      .dump();
}

}  // namespace

TEST_CASE_TEMPLATE("leases: one holder at a time, renewed by it, taken over once run out", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  LeaseStore& leases = *f.store;
  auto take = [&](const std::string& owner, UnixMs now) {
    auto held = leases.TakeLease("job", owner, now, 1'000);
    REQUIRE(held.ok());
    return *held;
  };
  CHECK(take("a", kT0));
  CHECK_FALSE(take("b", kT0 + 500));
  CHECK(take("a", kT0 + 900));  // renewed until +1900
  CHECK_FALSE(take("b", kT0 + 1'899));
  CHECK(take("b", kT0 + 1'900));  // a stopped renewing: b takes over
  CHECK_FALSE(take("a", kT0 + 2'000));
  REQUIRE(*leases.TakeLease("other-job", "a", kT0 + 2'000, 1'000));  // leases are apart

  // The state goes with the lease: only its holder writes it, while the lease stands.
  CHECK(*leases.LeaseState("job") == "");
  CHECK(*leases.SaveLeaseState("job", "b", kT0 + 2'000, "tokens-1"));
  CHECK_FALSE(*leases.SaveLeaseState("job", "a", kT0 + 2'000, "stale"));
  CHECK_FALSE(*leases.SaveLeaseState("job", "b", kT0 + 2'900, "too-late"));
  CHECK(*leases.LeaseState("job") == "tokens-1");

  // Giving it up hands it over at once; only the holder can.
  CHECK(take("b", kT0 + 3'000));
  REQUIRE(leases.DropLease("job", "a").ok());
  CHECK_FALSE(take("a", kT0 + 3'100));
  REQUIRE(leases.DropLease("job", "b").ok());
  CHECK(take("a", kT0 + 3'100));
  CHECK(*leases.LeaseState("job") == "tokens-1");

  // A renewal with an earlier clock reading does not shorten it: still a's until +5100.
  CHECK(take("a", kT0 + 4'100));
  CHECK(take("a", kT0 + 3'200));
  CHECK_FALSE(take("b", kT0 + 5'099));
  CHECK(take("b", kT0 + 5'100));
}

TEST_CASE(
    "a lease renewed with a clock read earlier (another thread's) never shortens what a later "
    "renewal granted") {
  test::SqliteFactory f;
  Lease lease(*f.store, "job", "me", 1'000);
  REQUIRE(lease.Hold(kT0 + 5'000));  // the later reading renews first...
  REQUIRE(lease.Hold(kT0));          // ...then the earlier one
  CHECK(lease.Holding(kT0 + 5'999));
  CHECK_FALSE(lease.Holding(kT0 + 6'000));
}

TEST_CASE("an SLA pass that outlives its lease stops before the next alert") {
  test::StaffRig rig;
  for (int i = 1; i <= 3; ++i) rig.Ingest("e" + std::to_string(i), "c" + std::to_string(i));
  // Each reading of the clock is 40 s later: the lease (60 s) taken at the pass's start has
  // run out by the second alert.
  SlowClock slow(rig.clock.NowMs() + 16 * kMinuteMs, 40'000);
  Lease lease(*rig.store, "sla-scheduler", "me", 60'000);
  SlaSchedulerDeps sd;
  sd.store = rig.store.get();
  sd.clock = &slow;
  sd.dialect = &rig.chat.Dialect();
  sd.sla = rig.options.sla;
  sd.lease = &lease;
  SlaScheduler scheduler(sd);
  CHECK(scheduler.Tick() == 1);
}

TEST_CASE(
    "two instances on one PostgreSQL: one SLA scheduler runs, the other takes over once it dies") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store_a = test::OpenPgStore(db.url());
  auto store_b = test::OpenPgStore(db.url());
  FakeClock clock(kT0);
  SlaInstance a(*store_a, clock, "instance-a");
  SlaInstance b(*store_b, clock, "instance-b");
  auto ingest = [&](const std::string& id) {
    REQUIRE(
        store_a->Ingest({test::MentionItem(id, "conv-" + id, "help " + id)}, clock.NowMs()).ok());
  };
  ingest("1");
  // a starts first and takes the lease. Then 25 minutes in 10 s steps, b always asked first:
  // b never runs a pass, even when an alert has just fallen due.
  REQUIRE(a.scheduler->Tick() == 0);
  int queued_by_a = 0;
  for (int step = 0; step <= 150; ++step) {
    clock.Set(kT0 + step * 10'000);
    if (step == 30) ingest("2");
    REQUIRE(b.scheduler->Tick() == 0);
    queued_by_a += a.scheduler->Tick();
  }
  CHECK(queued_by_a == 3);  // 1's reminder and breach, 2's reminder
  CHECK(test::PgQuery(db.url(), "SELECT owner FROM singletons WHERE name = 'sla-scheduler'") ==
        "instance-a");

  // a dies: it renews no more. Until its lease runs out, nobody runs the scheduler.
  const UnixMs died = clock.NowMs();
  clock.Set(died + 59'999);
  CHECK(b.scheduler->Tick() == 0);
  CHECK(test::PgQuery(db.url(), "SELECT owner FROM singletons WHERE name = 'sla-scheduler'") ==
        "instance-a");
  clock.Set(died + 60'000);
  CHECK(b.scheduler->Tick() == 1);  // 2's breach, due since +20m after it came
  CHECK(test::PgQuery(db.url(), "SELECT owner FROM singletons WHERE name = 'sla-scheduler'") ==
        "instance-b");

  // a comes back (it was hung, not dead): it has lost the lease and stays out.
  ingest("3");
  int queued_by_b = 0;
  for (int step = 1; step <= 130; ++step) {
    clock.Set(died + 60'000 + step * 10'000);
    REQUIRE(a.scheduler->Tick() == 0);
    queued_by_b += b.scheduler->Tick();
  }
  CHECK(queued_by_b == 2);  // 3's reminder and breach

  // A clean stop hands over at once.
  b.scheduler->Stop();
  CHECK(a.scheduler->Tick() == 0);
  CHECK(test::PgQuery(db.url(), "SELECT owner FROM singletons WHERE name = 'sla-scheduler'") ==
        "instance-a");

  // Never an alert queued twice.
  CHECK(CountNotices(db.url(), "%Reminder%") == 3);
  CHECK(CountNotices(db.url(), "%SLA breached%") == 3);
}

TEST_CASE(
    "two instances on one PostgreSQL: one X token refresh at a time, its token used by both") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store_a = test::OpenPgStore(db.url());
  auto store_b = test::OpenPgStore(db.url());
  x::XUserToken a(RefreshingConfig(), nullptr);
  x::XUserToken b(RefreshingConfig(), nullptr);
  a.Share(std::make_unique<Lease>(*store_a, "x-token-refresh", "instance-a", 60'000));
  b.Share(std::make_unique<Lease>(*store_b, "x-token-refresh", "instance-b", 60'000));
  test::FakeHttpClient http_a, http_b;

  // a refreshes with the configured refresh token; b then uses a's token without calling X.
  http_a.PushStatus(200, TokenAnswer("a1", "r2"));
  CHECK(a.Get(http_a, kT0).access_token == "a1");
  CHECK(b.Get(http_b, kT0).access_token == "a1");
  CHECK(http_b.requests().empty());

  // Near expiry, b refreshes first, with the refresh token X rotated for a; a then takes b's.
  const UnixMs later = kT0 + 7'200'000 - 4 * 60'000;
  http_b.PushStatus(200, TokenAnswer("b1", "r3"));
  CHECK(b.Get(http_b, later).access_token == "b1");
  REQUIRE(http_b.requests().size() == 1);
  CHECK(http_b.requests()[0].body.find("refresh_token=r2&") != std::string::npos);
  CHECK(a.Get(http_a, later).access_token == "b1");
  CHECK(http_a.requests().size() == 1);  // only its first refresh

  // X refuses b1: a refreshes, with r3.
  http_a.PushStatus(200, TokenAnswer("a2", "r4"));
  CHECK(a.RefreshAfterRejection(http_a, later, "b1").access_token == "a2");
  REQUIRE(http_a.requests().size() == 2);
  CHECK(http_a.requests()[1].body.find("refresh_token=r3&") != std::string::npos);
  CHECK(b.RefreshAfterRejection(http_b, later, "b1").access_token == "a2");
  CHECK(http_b.requests().size() == 1);

  // While another instance holds the refresh, nobody calls X: the reply waits a moment.
  const UnixMs expired = later + 7'200'000;
  REQUIRE(*store_a->TakeLease("x-token-refresh", "instance-c", expired, 60'000));
  x::TokenResult busy = b.Get(http_b, expired);
  REQUIRE(busy.failure.has_value());
  CHECK(busy.failure->kind == OutcomeKind::kRetry);
  CHECK(busy.failure->retry_after_ms.has_value());
  CHECK(http_b.requests().size() == 1);
  // The holder died mid-refresh: once its lease runs out, b refreshes with r4.
  http_b.PushStatus(200, TokenAnswer("b2", "r5"));
  CHECK(b.Get(http_b, expired + 60'000).access_token == "b2");
  REQUIRE(http_b.requests().size() == 2);
  CHECK(http_b.requests()[1].body.find("refresh_token=r4&") != std::string::npos);

  // A restarted instance starts from the shared tokens.
  x::XUserToken restarted(RefreshingConfig(), nullptr);
  restarted.Share(std::make_unique<Lease>(*store_a, "x-token-refresh", "instance-a2", 60'000));
  test::FakeHttpClient http_r;
  CHECK(restarted.Get(http_r, expired + 60'000).access_token == "b2");
  CHECK(http_r.requests().empty());
}

}  // namespace duplex
