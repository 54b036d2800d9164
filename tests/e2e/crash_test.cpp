// The crash test: the real binary under load from concurrent senders, killed with SIGKILL at
// random moments and restarted. Afterwards every acknowledged mention must have reached the
// fake Slack (duplicates are counted and must stay rare), and no customer reply may have
// reached the fake platform twice; a queued reply that never arrived must be flagged unknown,
// with a notice in its conversation's thread that quotes it and says how to send it again
// (support/crash_load.h). tests/e2e/cluster_crash_test.cpp is the same on three instances.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "support/crash_load.h"
#include "support/e2e_env.h"
#include "support/e2e_store.h"
#include "support/process.h"

namespace duplex::test {

using nlohmann::json;

TEST_CASE(
    "crash test: SIGKILL at random moments loses no acknowledged mention and posts no reply "
    "twice") {
  TempDir dir;
  E2eDatabase database(dir);
  FakeSlack slack;
  FakeHttpServer receiver;
  receiver.On("/replies", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"url":"https://crm.example.com/r"})"};
  });
  const int port = FreePort();
  json config = {
      {"listen", {{"host", "127.0.0.1"}, {"port", port}, {"threads", 32}}},
      {"database", database.config()},
      {"chat",
       {{"kind", "slack"},
        {"api_base", slack.api_base()},
        {"bot_token", kBotToken},
        {"signing_secret", kSigningSecret},
        {"team_id", kTeam},
        {"default_channel", kDefaultChannel},
        {"rate_limit", {{"per_second", 5000}, {"burst", 5000}}}}},
      // A 5-s lease: what a killed run held is settled 5 s after it died, not 30, so the last
      // run drains soon.
      {"delivery",
       {{"threads", 4},
        {"lease_seconds", 5},
        {"platform_rate_limit", {{"per_second", 5000}, {"burst", 5000}}}}},
      {"platforms",
       {{"generic", {{"secret", kGenericSecret}, {"reply_url", receiver.url() + "/replies"}}}}}};
  WriteFile(dir.File("c.json"), config.dump());
  const std::vector<std::string> args = {"serve", "--config", dir.File("c.json"), "--log-level",
                                         "warn"};
  auto server = std::make_unique<DuplexProcess>(args, dir.path().string());
  REQUIRE(WaitUntil([&] { return Healthy(port); }, 10'000));

  CrashLoad load([port] { return port; });

  std::mt19937 rng(7);
  int kills = 0;
  auto until = std::chrono::steady_clock::now() +
               std::chrono::seconds(getenv("CRASH_SECONDS") ? atoi(getenv("CRASH_SECONDS")) : 25);
  const bool no_kill = getenv("CRASH_NOKILL") != nullptr;
  while (std::chrono::steady_clock::now() < until) {
    // The random moment of the next kill is the test's input, not a wait for something.
    std::this_thread::sleep_for(std::chrono::milliseconds(800 + rng() % 2000));
    if (no_kill) continue;
    server->Signal(SIGKILL, 5000);
    ++kills;
    server = std::make_unique<DuplexProcess>(args, dir.path().string());
    REQUIRE(WaitUntil([&] { return Healthy(port); }, 10'000));
  }
  load.Stop();

  // Let the last run drain its outbox (notices of unknown replies included), then stop it.
  CHECK(WaitOutboxDrained(port, 60'000));
  CHECK(server->Signal(SIGTERM) == 0);
  if (getenv("CRASH_LOGS")) std::cout << server->Stderr().substr(0, 6000) << "\n";
  if (getenv("CRASH_KEEP") && !database.postgres())
    std::filesystem::copy_file(database.config(), getenv("CRASH_KEEP"),
                               std::filesystem::copy_options::overwrite_existing);
  if (getenv("CRASH_KEEP")) {
    std::ofstream out(std::string(getenv("CRASH_KEEP")) + ".posts");
    for (const auto& p : slack.Posts()) out << p.dump() << "\n";
  }

  // The verdict, read through duplex's own store (the server being stopped).
  auto store = database.Open();
  REQUIRE(store);
  const CrashTally tally = TallyCrash(load, slack, receiver, "/replies", *store);
  std::cout << "crash test: kills=" << kills << " " << tally << "\n";
  CHECK(kills >= 5);
  CHECK(tally.acked > 500);
  CHECK(tally.lost == 0);
  CHECK(tally.replies_twice == 0);
  CHECK(tally.replies_missing == 0);
  CHECK(tally.unknown_unflagged == 0);
  CHECK(tally.DuplicatePercent() < 1.0);
}

}  // namespace duplex::test
