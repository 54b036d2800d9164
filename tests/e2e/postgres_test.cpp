// The real binary on PostgreSQL: the operator commands, and two `duplex serve` processes on
// one database, as two instances behind a load balancer. Each test gets a database of its
// own on the throwaway server (scripts/with-postgres); skipped without one.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/e2e_env.h"
#include "support/pg_test_db.h"
#include "support/process.h"
#include "support/signed_requests.h"

namespace duplex::test {

using nlohmann::json;

namespace {

json Config(const std::string& database, int port, const std::string& slack_api,
            const std::string& reply_url) {
  return {{"listen", {{"host", "127.0.0.1"}, {"port", port}}},
          {"database", database},
          {"chat",
           {{"kind", "slack"},
            {"api_base", slack_api},
            {"bot_token", "xoxb-pg-token"},
            {"signing_secret", kSigningSecret},
            {"team_id", kTeam},
            {"default_channel", kDefaultChannel}}},
          {"platforms", {{"generic", {{"secret", kGenericSecret}, {"reply_url", reply_url}}}}}};
}

std::size_t PostsWith(const FakeSlack& slack, const std::string& needle) {
  std::size_t n = 0;
  for (const auto& p : slack.Posts()) {
    if (p.dump().find(needle) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE(
    "postgres e2e: check-config connects, print-config masks the password, backup points "
    "to pg_dump") {
  if (SkipWithoutPostgres()) return;
  PgTestDatabase db;
  TempDir dir;
  WriteFile(dir.File("pg.json"),
            Config("${DATABASE_URL}", 8080, "https://slack.com/api", "https://crm/r").dump());
  const std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
  auto check = RunDuplex({"check-config", "--config", dir.File("pg.json")}, env);
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("PostgreSQL reachable; the schema will be created at start") !=
        std::string::npos);

  const std::string password =
      db.url().substr(db.url().find(':', 14) + 1, db.url().find('@') - db.url().find(':', 14) - 1);
  REQUIRE(password.size() > 8);
  std::string wrong = db.url();
  wrong.replace(wrong.find(password), password.size(), "not-the-password");
  auto refused =
      RunDuplex({"check-config", "--config", dir.File("pg.json")}, {{"DATABASE_URL", wrong}});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("cannot connect to PostgreSQL") != std::string::npos);
  CHECK(refused.err.find("not-the-password") == std::string::npos);

  WriteFile(dir.File("literal.json"),
            Config(db.url(), 8080, "https://slack.com/api", "https://crm/r").dump());
  auto printed = RunDuplex({"print-config", "--config", dir.File("literal.json")});
  CHECK(printed.exit_code == 0);
  CHECK(printed.out.find(password) == std::string::npos);
  CHECK(printed.out.find("\"postgresql://***@127.0.0.1:") != std::string::npos);

  auto backup =
      RunDuplex({"backup", "--config", dir.File("literal.json"), "--to", dir.File("b.db")});
  CHECK(backup.exit_code == 2);
  CHECK(backup.err.find("pg_dump") != std::string::npos);
  CHECK(backup.err.find(password) == std::string::npos);
}

TEST_CASE(
    "postgres e2e: two instances on one database: a webhook and its repeat to the other "
    "are one mention — a reply queued on one is sent exactly once") {
  if (SkipWithoutPostgres()) return;
  PgTestDatabase db;
  TempDir dir;
  FakeSlack slack;
  FakeHttpServer receiver;
  receiver.On("/replies", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"url":"https://crm/r/1"})"};
  });
  const int port_a = FreePort();
  const int port_b = FreePort();
  WriteFile(dir.File("a.json"),
            Config(db.url(), port_a, slack.api_base(), receiver.url() + "/replies").dump());
  WriteFile(dir.File("b.json"),
            Config(db.url(), port_b, slack.api_base(), receiver.url() + "/replies").dump());
  // Started together: the schema is created once, under the advisory lock.
  std::filesystem::create_directories(dir.File("a"));
  std::filesystem::create_directories(dir.File("b"));
  DuplexProcess a({"serve", "--config", dir.File("a.json"), "--log-level", "warn"}, dir.File("a"));
  DuplexProcess b({"serve", "--config", dir.File("b.json"), "--log-level", "warn"}, dir.File("b"));
  REQUIRE(WaitUntil([&] { return Ready(port_a) && Ready(port_b); }, 15'000));

  // The platform resends to whichever instance the balancer picks: one mention either way.
  auto first = SignedMention(port_a, "m1", "conv-1", "where is order pg-marker-1?");
  REQUIRE(first.ok());
  CHECK(first.response.status == 200);
  auto repeat = SignedMention(port_b, "m1", "conv-1", "where is order pg-marker-1?");
  REQUIRE(repeat.ok());
  CHECK(repeat.response.status == 200);
  REQUIRE(slack.WaitForPosts(1, 10'000));
  REQUIRE(WaitOutboxDrained(port_a, 10'000));
  REQUIRE(WaitOutboxDrained(port_b, 10'000));
  CHECK(PostsWith(slack, "pg-marker-1") == 1);

  // A reply committed through b; whichever instance claims it, the customer gets it once.
  auto queued = SignedCommand(port_b, "reply 1 pg-reply-once", "trig-1");
  REQUIRE(queued.ok());
  CHECK(queued.response.status == 200);
  CHECK(queued.response.body.find("Queued reply to #1") != std::string::npos);
  REQUIRE(WaitUntil([&] { return receiver.Count("/replies") >= 1; }, 10'000));
  REQUIRE(WaitOutboxDrained(port_a, 10'000));
  REQUIRE(WaitOutboxDrained(port_b, 10'000));
  CHECK(receiver.Count("/replies") == 1);
  CHECK(PostsWith(slack, "pg-reply-once") >= 1);  // the confirmation in the thread

  CHECK(a.Signal(SIGTERM) == 0);
  CHECK(b.Signal(SIGTERM) == 0);
}

TEST_CASE(
    "postgres e2e: migrate-store moves a SQLite duplex to PostgreSQL — refused while serve "
    "runs, then a reply to a migrated conversation reaches the platform from the new server") {
  if (SkipWithoutPostgres()) return;
  PgTestDatabase db;
  TempDir dir;
  FakeSlack slack;
  FakeHttpServer receiver;
  receiver.On("/replies", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"url":"https://crm/r/1"})"};
  });
  const std::string sqlite = dir.File("duplex.db");
  const int port = FreePort();
  WriteFile(dir.File("sqlite.json"),
            Config(sqlite, port, slack.api_base(), receiver.url() + "/replies").dump());
  WriteFile(dir.File("pg.json"),
            Config("${DATABASE_URL}", port, slack.api_base(), receiver.url() + "/replies").dump());
  const std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
  const std::vector<std::string> migrate = {"migrate-store", "--from", sqlite, "--to", db.url()};
  std::filesystem::create_directories(dir.File("logs-sqlite"));
  std::filesystem::create_directories(dir.File("logs-pg"));

  std::size_t marker_1_posts = 0;
  {
    DuplexProcess serve({"serve", "--config", dir.File("sqlite.json"), "--log-level", "warn"},
                        dir.File("logs-sqlite"));
    REQUIRE(WaitUntil([&] { return Ready(port); }, 15'000));
    REQUIRE(SignedMention(port, "m1", "conv-1", "order mig-marker-1?").response.status == 200);
    REQUIRE(SignedMention(port, "m2", "conv-2", "order mig-marker-2?").response.status == 200);
    REQUIRE(slack.WaitForPosts(2, 10'000));
    auto replied = SignedCommand(port, "reply 1 answered-on-sqlite", "trig-m1");
    REQUIRE(replied.ok());
    CHECK(replied.response.body.find("Queued reply to #1") != std::string::npos);
    REQUIRE(receiver.WaitForCount("/replies", 1, 10'000));
    REQUIRE(WaitOutboxDrained(port, 10'000));
    marker_1_posts = PostsWith(slack, "mig-marker-1");  // the root, the reply's confirmation

    // The running server has the file open: nothing is copied from a database still changing.
    auto busy = RunDuplex(migrate);
    CHECK(busy.exit_code == 1);
    CHECK_MESSAGE(busy.err.find("stop duplex first") != std::string::npos, busy.err);
    CHECK(serve.Signal(SIGTERM) == 0);
  }

  auto moved = RunDuplex(migrate);
  REQUIRE_MESSAGE(moved.exit_code == 0, moved.out << moved.err);
  const std::string password =
      db.url().substr(db.url().find(':', 14) + 1, db.url().find('@') - db.url().find(':', 14) - 1);
  CHECK(moved.out.find(password) == std::string::npos);
  CHECK(moved.out.find(":***@127.0.0.1:") != std::string::npos);
  // conversations: 2 on each side, the next one is #3.
  CHECK_MESSAGE(moved.out.find("conversations                  2           2           3") !=
                    std::string::npos,
                moved.out);
  CHECK(moved.out.find("tables match") != std::string::npos);

  // Run again: the target is no longer empty.
  auto again = RunDuplex(migrate);
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("already holds rows in table conversations") != std::string::npos);
  // A missing source is refused, and not created.
  auto missing = RunDuplex({"migrate-store", "--from", dir.File("nope.db"), "--to", db.url()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("nope.db")));
  auto not_pg = RunDuplex({"migrate-store", "--from", sqlite, "--to", "mysql://u:pw-9z@h/db"});
  CHECK(not_pg.exit_code == 2);
  CHECK(not_pg.err.find("must be a PostgreSQL URL") != std::string::npos);
  CHECK(not_pg.out.find("pw-9z") == std::string::npos);
  CHECK(not_pg.err.find("pw-9z") == std::string::npos);

  auto check = RunDuplex({"check-config", "--config", dir.File("pg.json")}, env);
  CHECK_MESSAGE(check.exit_code == 0, check.err);
  CHECK(check.out.find("PostgreSQL reachable, schema current") != std::string::npos);

  DuplexProcess serve({"serve", "--config", dir.File("pg.json"), "--log-level", "warn"},
                      dir.File("logs-pg"), env);
  REQUIRE(WaitUntil([&] { return Ready(port); }, 15'000));
  // #2 was migrated: staff answer it on the new server, and the customer gets the reply.
  auto replied = SignedCommand(port, "reply 2 answered-on-postgres", "trig-m2");
  REQUIRE(replied.ok());
  CHECK_MESSAGE(replied.response.body.find("Queued reply to #2") != std::string::npos,
                replied.response.body);
  REQUIRE(receiver.WaitForCount("/replies", 2, 10'000));
  const auto last = receiver.Requests("/replies").back();
  CHECK(last.body.find("answered-on-postgres") != std::string::npos);
  CHECK(last.body.find("conv-2") != std::string::npos);
  // A repeat of a migrated webhook is still a duplicate; a new conversation is #3.
  CHECK(SignedMention(port, "m1", "conv-1", "order mig-marker-1?").response.status == 200);
  REQUIRE(SignedMention(port, "m3", "conv-3", "order mig-marker-3?").response.status == 200);
  REQUIRE(WaitOutboxDrained(port, 10'000));
  CHECK(PostsWith(slack, "mig-marker-1") == marker_1_posts);
  CHECK(PostsWith(slack, "mig-marker-3") == 1);
  auto shown = SignedCommand(port, "show 3", "trig-show-3");
  REQUIRE(shown.ok());
  CHECK_MESSAGE(shown.response.body.find("mig-marker-3") != std::string::npos, shown.response.body);
  CHECK(receiver.Count("/replies") == 2);
  CHECK(serve.Signal(SIGTERM) == 0);
}

}  // namespace duplex::test
