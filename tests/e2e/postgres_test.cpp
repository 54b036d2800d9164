// The real binary on PostgreSQL: the operator commands, and two `duplex serve` processes on
// one database, as two instances behind a load balancer. Each test gets a database of its
// own on the throwaway server (scripts/with-postgres); skipped without one.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "app/httplib_client.h"
#include "core/text.h"
#include "security/signatures.h"
#include "support/e2e_env.h"
#include "support/pg_test_db.h"
#include "support/process.h"

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

HttpResult SignedMention(int port, const std::string& id, const std::string& conversation,
                         const std::string& text) {
  HttplibClient http;
  SystemClock clock;
  const std::string body = E2eEnv::GenericMention(id, conversation, text).dump();
  const std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/generic";
  req.body = body;
  req.timeout_ms = 5000;
  req.headers = {
      {"webhook-id", "wh-" + id},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(kGenericSecret, "wh-" + id, ts, body)}};
  return http.Send(req);
}

HttpResult SignedCommand(int port, const std::string& text, const std::string& trigger) {
  HttplibClient http;
  SystemClock clock;
  const std::string form =
      "team_id=" + std::string(kTeam) + "&channel_id=" + kDefaultChannel +
      "&user_id=U0STAFF&user_name=staff&command=%2Fduplex&text=" + text::UrlEncode(text) +
      "&trigger_id=" + trigger;
  const std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/chat/slack/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = form;
  req.timeout_ms = 5000;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, ts, form)}};
  return http.Send(req);
}

// Ready: /readyz answers 200 (the database is reachable).
bool Ready(int port) {
  HttplibClient http;
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  r.timeout_ms = 500;
  auto res = http.Send(r);
  return res.ok() && res.response.status == 200;
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
  if (SkipOnPostgres("it runs on PostgreSQL in the e2e: run already")) return;
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
  if (SkipOnPostgres("it runs on PostgreSQL in the e2e: run already")) return;
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

}  // namespace duplex::test
