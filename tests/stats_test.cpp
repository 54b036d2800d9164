// Stats maths (core/stats.h) on known inputs, and on a seeded database through the store's
// one-query window and the `stats` command.
#include <doctest/doctest.h>

#include "core/stats.h"
#include "support/staff_rig.h"

namespace duplex {

namespace {

constexpr UnixMs kNow = 1'700'000'000'000;
constexpr UnixMs kDay = 24 * 60 * kMinuteMs;

StatsRow Row(std::int64_t id, const std::string& platform, const std::string& route, UnixMs created,
             std::optional<std::int64_t> response_min, std::int64_t messages = 1,
             std::optional<std::int64_t> followers = 10, bool closed = false) {
  StatsRow r;
  r.conversation_id = id;
  r.platform = platform;
  r.route = route;
  r.author = {"a" + std::to_string(id), "h" + std::to_string(id), "", followers};
  r.created_at = created;
  if (response_min) r.first_response_at = created + *response_min * kMinuteMs;
  r.closed = closed;
  r.messages_in_window = messages;
  return r;
}

}  // namespace

TEST_CASE("percentile: nearest rank on known inputs") {
  std::vector<std::int64_t> ten = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  CHECK(*Percentile(ten, 0.5) == 5);
  CHECK(*Percentile(ten, 0.9) == 9);
  CHECK(*Percentile(ten, 1.0) == 10);
  CHECK(*Percentile(ten, 0.1) == 1);
  CHECK(*Percentile({42}, 0.5) == 42);
  CHECK(*Percentile({42}, 0.9) == 42);
  CHECK(*Percentile({1, 2, 3}, 0.5) == 2);
  CHECK(*Percentile({1, 2, 3, 4}, 0.5) == 2);
  CHECK(*Percentile({1, 2, 3, 4}, 0.9) == 4);
  CHECK_FALSE(Percentile({}, 0.5).has_value());
}

TEST_CASE("stats: volume per platform and route, percentiles, SLA share and top authors") {
  SlaSettings sla;
  sla.first_response_ms = 20 * kMinuteMs;
  sla.route_first_response_ms = {{"vip", 5 * kMinuteMs}};
  const UnixMs since = kNow - kDay;
  std::vector<StatsRow> rows = {
      Row(1, "x", "", kNow - 5 * 60 * kMinuteMs, 4, 3, 500),                   // met
      Row(2, "x", "vip", kNow - 4 * 60 * kMinuteMs, 8, 1, 50'000),             // missed (vip: 5m)
      Row(3, "telegram", "", kNow - 3 * 60 * kMinuteMs, 30, 2, std::nullopt),  // missed
      Row(4, "telegram", "", kNow - 10 * kMinuteMs, std::nullopt, 1, 20),      // pending
      Row(5, "x", "", kNow - 2 * 60 * kMinuteMs, std::nullopt, 1, 30),         // missed: unanswered
      Row(6, "github", "", kNow - 60 * kMinuteMs, std::nullopt, 1, 40, true),  // closed, left out
      Row(7, "x", "", since - kDay, 2, 4, 900'000),  // began before the window: volume only
  };
  StatsReport r = ComputeStats(rows, since, kNow, sla, 3);
  CHECK(r.messages == 13);
  CHECK(r.new_conversations == 6);
  REQUIRE(r.by_platform.size() == 3);
  CHECK(r.by_platform[0].key == "x");
  CHECK(r.by_platform[0].messages == 9);
  CHECK(r.by_platform[0].conversations == 4);
  CHECK(r.by_platform[1].key == "telegram");
  CHECK(r.by_platform[1].messages == 3);
  CHECK(r.by_platform[2].key == "github");
  REQUIRE(r.by_route.size() == 2);
  CHECK(r.by_route[0].key == "");
  CHECK(r.by_route[0].messages == 12);
  CHECK(r.by_route[1].key == "vip");
  CHECK(r.answered == 3);
  CHECK(*r.p50_ms == 8 * kMinuteMs);  // of 4, 8, 30
  CHECK(*r.p90_ms == 30 * kMinuteMs);
  CHECK(r.sla_met == 1);
  CHECK(r.sla_missed == 3);
  CHECK(r.sla_pending == 1);
  CHECK(r.closed_unanswered == 1);
  REQUIRE(r.top_authors.size() == 3);
  CHECK(r.top_authors[0].author.id == "a7");
  CHECK(r.top_authors[1].author.id == "a2");
  CHECK(r.top_authors[2].author.id == "a1");
}

TEST_CASE("stats: an author with several conversations counts once, with their largest reach") {
  std::vector<StatsRow> rows = {Row(1, "x", "", kNow - 1, 1, 1, 100),
                                Row(2, "x", "", kNow - 1, 1, 1, 300)};
  rows[1].author.id = rows[0].author.id;
  StatsReport r = ComputeStats(rows, kNow - kDay, kNow, SlaSettings{}, 5);
  REQUIRE(r.top_authors.size() == 1);
  CHECK(r.top_authors[0].conversations == 2);
  CHECK(*r.top_authors[0].author.followers == 300);
}

TEST_CASE_TEMPLATE(
    "stats on a seeded database: one window query, known percentiles, and the command's text", F,
    test::SqliteFactory, test::PgFactory) {
  test::StaffRig rig(F::kKind);
  if (!rig.available()) return;
  // Ten conversations 1 h apart, answered after 1, 2, … 10 minutes; the SLA is 20 minutes.
  const UnixMs start = rig.clock.NowMs();
  for (int i = 1; i <= 10; ++i) {
    rig.clock.Set(start + i * 60 * kMinuteMs);
    auto conv = rig.Ingest("e" + std::to_string(i), "c" + std::to_string(i),
                           "user" + std::to_string(i), i * 1000);
    rig.Deliver();
    rig.clock.Advance(i * kMinuteMs);
    rig.ReplyAndDeliver(conv);
  }
  // One from two days ago, outside the 24h window; one unanswered for 30 minutes.
  rig.clock.Set(start - 2 * kDay);
  rig.Ingest("old", "old", "old-timer", 5'000'000);
  rig.clock.Set(start + 11 * 60 * kMinuteMs);
  rig.Ingest("late", "late", "waiting", 1);
  rig.clock.Advance(30 * kMinuteMs);
  const UnixMs now = rig.clock.NowMs();

  auto rows = rig.store->ListStatsRows(now - kDay);
  REQUIRE(rows.ok());
  CHECK(rows->size() == 11);
  StatsReport r = ComputeStats(*rows, now - kDay, now, rig.options.sla, 5);
  CHECK(r.messages == 11);
  CHECK(r.answered == 10);
  CHECK(*r.p50_ms == 5 * kMinuteMs);
  CHECK(*r.p90_ms == 9 * kMinuteMs);
  CHECK(r.sla_met == 10);
  CHECK(r.sla_missed == 1);

  std::string text = rig.Command("stats");
  CHECK(text.find("Last 24h: 11 customer messages in 11 conversations (11 new).") !=
        std::string::npos);
  CHECK(text.find("By platform: Webhook 11") != std::string::npos);
  CHECK(text.find("By route: (default channel) 11") != std::string::npos);
  CHECK(text.find("p50 5m · p90 9m") != std::string::npos);
  CHECK(text.find("Within SLA: 91% (10 of 11)") != std::string::npos);
  CHECK(text.find(
            "Top authors by reach:\n• Name user10 (@user10) · 10,000 followers · VIP on Webhook") !=
        std::string::npos);
  CHECK(text.find("old-timer") == std::string::npos);
  CHECK(rig.Command("stats 7d").find("Last 7d: 12 customer messages") != std::string::npos);
  CHECK(rig.Command("stats 1y").find("The window is 24h, 7d or 30d.") != std::string::npos);
}

}  // namespace duplex
