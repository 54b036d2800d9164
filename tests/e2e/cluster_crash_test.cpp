// The crash test, cluster edition: three `duplex serve` processes on one PostgreSQL database,
// the load (webhooks, each resent until acknowledged, and staff replies) spread across them
// as a balancer would, and a random instance killed with SIGKILL again and again, then
// started again. Afterwards (support/crash_load.h): no acknowledged mention lost, no customer
// reply posted twice, every queued reply delivered or flagged unknown in its thread, and
// chat duplicates under 1%. What a killed instance held is taken over by the others once its
// lease (5 s here) runs out. Skipped without the throwaway PostgreSQL server.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "storage/pg_store.h"
#include "support/cluster.h"
#include "support/crash_load.h"
#include "support/e2e_env.h"
#include "support/e2e_store.h"
#include "support/pg_test_db.h"

namespace duplex::test {

TEST_CASE(
    "cluster crash test: three instances, a random one killed with SIGKILL again and again: no "
    "acknowledged mention lost, no reply posted twice") {
  if (SkipUnlessPostgresOwnTest()) return;
  const auto began = std::chrono::steady_clock::now();
  PgTestDatabase db;
  FakeSlack slack;
  FakeHttpServer receiver;
  receiver.On("/replies", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"url":"https://crm.example.com/r"})"};
  });
  constexpr int kInstances = 3;
  Cluster cluster(kInstances, db.url(), slack.api_base(), receiver.url() + "/replies",
                  {{"listen", {{"threads", 32}}},
                   {"chat", {{"rate_limit", {{"per_second", 5000}, {"burst", 5000}}}}},
                   {"delivery",
                    {{"threads", 4},
                     {"lease_seconds", 5},
                     {"platform_rate_limit", {{"per_second", 5000}, {"burst", 5000}}}}}});
  REQUIRE(cluster.StartAll());

  // Round robin over the instances, request by request; a request to an instance that is
  // down fails and its resend goes to the next one, as behind a balancer.
  std::atomic<unsigned> next{0};
  CrashLoad load([&] { return cluster.port(static_cast<int>(next++ % kInstances)); });

  std::mt19937 rng(17);
  int kills = 0;
  const auto until =
      std::chrono::steady_clock::now() +
      std::chrono::seconds(getenv("CRASH_SECONDS") ? atoi(getenv("CRASH_SECONDS")) : 25);
  while (std::chrono::steady_clock::now() < until) {
    // The random moment and victim of the next kill are the test's input, not a wait.
    std::this_thread::sleep_for(std::chrono::milliseconds(800 + rng() % 2000));
    const int victim = static_cast<int>(rng() % kInstances);
    cluster.Kill(victim);
    ++kills;
    REQUIRE(cluster.Start(victim));
  }
  load.Stop();

  // Everything queued is settled, including what the last victims held: their leases run
  // out, the others take it over (chat posts again, replies flagged unknown with a notice).
  CHECK(cluster.WaitDrained(0, 90'000));
  for (int i = 0; i < kInstances; ++i) CHECK(cluster.Stop(i) == 0);

  auto store = OpenPgStore(db.url());
  const CrashTally tally = TallyCrash(load, slack, receiver, "/replies", *store);
  std::cout << "cluster crash test: instances=" << kInstances << " kills=" << kills << " " << tally
            << " runtime="
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()
            << "s\n";
  CHECK(kills >= 5);
  CHECK(tally.acked > 500);
  CHECK(tally.lost == 0);
  CHECK(tally.replies_twice == 0);
  CHECK(tally.replies_missing == 0);
  CHECK(tally.unknown_unflagged == 0);
  CHECK(tally.DuplicatePercent() < 1.0);
}

}  // namespace duplex::test
