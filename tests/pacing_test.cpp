// Pacing: the rule (core/pacing.h), its state in each store (PacingStore: in memory for
// SQLite, a row per target on PostgreSQL, with the same answers), what one claim pass costs,
// and the limits held by two instances on one PostgreSQL database together.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include "core/pacing.h"
#include "delivery/delivery_engine.h"
#include "storage/memory_pacing.h"
#include "support/fakes.h"
#include "support/store_factory.h"

namespace duplex {
namespace {

constexpr UnixMs kT0 = 1'700'000'000'000;

// Counts the questions a rate limiter asks its pacing state.
class CountingPacing final : public PacingStore {
 public:
  Result<Admission> TakePace(const std::string& target, const RateLimit& limit,
                             UnixMs now) override {
    ++takes;
    return inner_.TakePace(target, limit, now);
  }
  Status BlockPace(const std::string& target, UnixMs until) override {
    return inner_.BlockPace(target, until);
  }
  std::atomic<int> takes{0};

 private:
  storage::MemoryPacing inner_;
};

// One duplex instance as far as chat posts go: its own engine, rate limiter and chat, on a
// store that may be shared with other instances.
struct Instance {
  Instance(Store& store, const Clock& clock, RateLimit chat_limit, PacingStore* pacing = nullptr)
      : limiter(pacing != nullptr ? *pacing : store) {
    limiter.SetLimit("chat:", chat_limit);
    DeliveryDeps d;
    d.store = &store;
    d.clock = &clock;
    d.chat = &chat;
    d.connectors = &connectors;
    d.http = &http;
    d.limiter = &limiter;
    d.seed = 7;
    d.retry.jitter = 0;
    engine = std::make_unique<DeliveryEngine>(d);
  }
  int Posted() const { return static_cast<int>(chat.posts().size()); }

  RateLimiter limiter;
  test::RecordingPoster chat;
  test::FakeHttpClient http;
  ConnectorMap connectors;
  std::unique_ptr<DeliveryEngine> engine;
};

void Flood(Store& store, int count, const std::string& channel, UnixMs now) {
  std::vector<IngestItem> items;
  for (int i = 0; i < count; ++i) {
    const std::string id = channel + "-" + std::to_string(i);
    items.push_back(test::MentionItem(id, "conv-" + id, "hello " + id, channel));
  }
  REQUIRE(store.Ingest(items, now).ok());
}

}  // namespace

TEST_CASE("pacing rule: a burst, then one call per interval, refilled up to the burst only") {
  PaceState s;
  const RateLimit limit{2, 3};  // an interval of 500 ms
  for (int i = 0; i < 3; ++i) CHECK(TakePace(s, limit, kT0).granted);
  Admission refused = TakePace(s, limit, kT0);
  CHECK_FALSE(refused.granted);
  CHECK(refused.next_at == kT0 + 500);
  CHECK_FALSE(TakePace(s, limit, kT0 + 499).granted);
  Admission next = TakePace(s, limit, kT0 + 500);
  CHECK(next.granted);
  CHECK(next.next_at == kT0 + 1000);
  for (int i = 0; i < 3; ++i) CHECK(TakePace(s, limit, kT0 + 3'600'000).granted);
  CHECK_FALSE(TakePace(s, limit, kT0 + 3'600'000).granted);
}

TEST_CASE("pacing rule: intervals that are not whole milliseconds neither drift nor come early") {
  PaceState s;
  const RateLimit limit{3, 2};  // 333.33 ms
  // Asked every millisecond for 10 s: the burst, then 3 a second, each at the first
  // millisecond it is due (or the next: the TAT is a double near 1.7e12 ms), never before.
  std::vector<UnixMs> granted;
  for (UnixMs t = 0; t < 10'000; ++t) {
    if (TakePace(s, limit, kT0 + t).granted) granted.push_back(t);
  }
  REQUIRE(granted.size() == 31);
  CHECK(granted[0] == 0);
  CHECK(granted[1] == 1);
  for (std::size_t k = 2; k < granted.size(); ++k) {
    const double due = static_cast<double>(k - 1) * 1000.0 / 3.0;
    CHECK(static_cast<double>(granted[k]) >= due);
    CHECK(static_cast<double>(granted[k]) < due + 2.0);
  }
}

TEST_CASE("pacing rule: a block holds the target back whatever its tokens") {
  PaceState s;
  s.blocked_until = kT0 + 30'000;
  Admission a = TakePace(s, RateLimit{1, 3}, kT0);
  CHECK_FALSE(a.granted);
  CHECK(a.next_at == kT0 + 30'000);
  CHECK(TakePace(s, RateLimit{1, 3}, kT0 + 30'000).granted);
}

TEST_CASE_TEMPLATE("pacing state in the store: the same answers on every store", F,
                   test::SqliteFactory, test::PgFactory) {
  F f;
  if (!f.available()) return;
  PacingStore& pacing = *f.store;
  const RateLimit limit{3, 2};  // 333.33 ms, a burst of 2
  auto take = [&](const std::string& target, UnixMs now) {
    auto a = pacing.TakePace(target, limit, now);
    REQUIRE(a.ok());
    return *a;
  };
  CHECK(take("chat:C1", kT0).granted);
  CHECK(take("chat:C1", kT0).granted);
  Admission refused = take("chat:C1", kT0);
  CHECK_FALSE(refused.granted);
  CHECK(refused.next_at == kT0 + 334);
  CHECK(take("chat:C2", kT0).granted);  // targets are paced apart
  CHECK_FALSE(take("chat:C1", kT0 + 333).granted);
  CHECK(take("chat:C1", kT0 + 334).granted);

  REQUIRE(pacing.BlockPace("chat:C2", kT0 + 10'000).ok());
  REQUIRE(pacing.BlockPace("chat:C2", kT0 + 5'000).ok());  // never shortens a block
  Admission blocked = take("chat:C2", kT0 + 6'000);
  CHECK_FALSE(blocked.granted);
  CHECK(blocked.next_at == kT0 + 10'000);
  CHECK(take("chat:C2", kT0 + 10'000).granted);
  REQUIRE(pacing.BlockPace("x:new", kT0 + 1'000).ok());  // a block before any call
  CHECK_FALSE(take("x:new", kT0).granted);
  CHECK(take("x:new", kT0 + 1'000).granted);
}

TEST_CASE("a claim pass asks the pacing state once per claimed delivery and once per held target") {
  test::SqliteFactory f;
  FakeClock clock(kT0);
  CountingPacing pacing;
  Instance one(*f.store, clock, {1, 3}, &pacing);
  Flood(*f.store, 50, "C1", kT0);
  Flood(*f.store, 5, "C2", kT0);
  CHECK(one.engine->RunDue() == 6);  // the burst of each channel
  // 6 admitted, then C1 and C2 refused once each: the other 49 pending rows cost nothing.
  CHECK(pacing.takes.load() == 8);
}

TEST_CASE("two instances on one PostgreSQL pace a channel together at its rate") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store_a = test::OpenPgStore(db.url());
  auto store_b = test::OpenPgStore(db.url());
  FakeClock clock(kT0);
  const RateLimit limit{2, 4};
  Instance a(*store_a, clock, limit);
  Instance b(*store_b, clock, limit);
  Flood(*store_a, 80, "C1", kT0);
  for (UnixMs elapsed = 0; elapsed <= 20'000; elapsed += 100) {
    clock.Set(kT0 + elapsed);
    // Either instance may ask first.
    Instance& first = elapsed % 200 == 0 ? a : b;
    Instance& second = &first == &a ? b : a;
    first.engine->RunDue();
    second.engine->RunDue();
    const int sent = a.Posted() + b.Posted();
    const int allowed = static_cast<int>(limit.burst) + static_cast<int>(elapsed * 2 / 1000);
    REQUIRE_MESSAGE(sent <= allowed, "at +" << elapsed << " ms: " << sent << " posts");
  }
  // The cluster's rate, not a stall: the burst and then 2 a second for 20 s.
  CHECK(a.Posted() + b.Posted() == 44);
  CHECK(a.Posted() > 0);
  CHECK(b.Posted() > 0);
}

TEST_CASE("a wait asked of one instance holds the target back on the other") {
  if (test::SkipWithoutPostgres()) return;
  test::PgTestDatabase db;
  auto store_a = test::OpenPgStore(db.url());
  auto store_b = test::OpenPgStore(db.url());
  FakeClock clock(kT0);
  Instance a(*store_a, clock, {5, 5});
  Instance b(*store_b, clock, {5, 5});
  Flood(*store_a, 20, "C1", kT0);
  Flood(*store_a, 1, "C2", kT0);
  auto limited = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack rate limit (HTTP 429)");
  limited.retry_after_ms = 30'000;
  a.chat.PushOutcome(limited);
  REQUIRE(a.engine->RunDue(1) == 1);  // C1's first post: 429, wait 30 s
  for (UnixMs elapsed = 1'000; elapsed < 30'000; elapsed += 1'000) {
    clock.Set(kT0 + elapsed);
    b.engine->RunDue();
  }
  const auto held = b.chat.posts();
  REQUIRE(held.size() == 1);  // only the other channel went
  CHECK(held[0].channel == "C2");
  clock.Set(kT0 + 30'000);
  CHECK(b.engine->RunDue() == 5);  // the wait is over: C1's burst
}

}  // namespace duplex
