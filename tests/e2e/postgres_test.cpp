// The real binary on PostgreSQL: the operator commands, and two `duplex serve` processes on
// one database, as two instances behind a load balancer. Each test gets a database of its
// own on the throwaway server (scripts/with-postgres); skipped without one.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include <nlohmann/json.hpp>

#include "app/httplib_client.h"
#include "support/e2e_env.h"
#include "support/e2e_store.h"
#include "support/pg_private_server.h"
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
  if (SkipUnlessPostgresOwnTest()) return;
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
  if (SkipUnlessPostgresOwnTest()) return;
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
  if (SkipUnlessPostgresOwnTest()) return;
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

namespace {

// /readyz's status, or 0 when it does not answer within `timeout_ms`.
int ReadyStatus(int port, int timeout_ms = 500) {
  HttplibClient http;
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  r.timeout_ms = timeout_ms;
  auto res = http.Send(r);
  return res.ok() ? res.response.status : 0;
}

// The value of an unlabelled series on /metrics, or -1 when it is not there.
double Metric(int port, const std::string& name) {
  HttplibClient http;
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  r.timeout_ms = 2000;
  auto res = http.Send(r);
  if (!res.ok()) return -1;
  const std::string line = "\n" + name + " ";
  const auto at = res.response.body.find(line);
  if (at == std::string::npos) return -1;
  return std::stod(res.response.body.substr(at + line.size()));
}

// Chat and platform pacing out of the way: what these tests time is the hand-over between
// instances, not a token bucket.
json Unpaced(json config) {
  config["chat"]["rate_limit"] = {{"per_second", 1000}, {"burst", 1000}};
  config["delivery"]["platform_rate_limit"] = {{"per_second", 1000}, {"burst", 1000}};
  return config;
}

// Replies a reply receiver accepted, with when (wall clock, as the outbox's created_at).
class ReceivedReplies {
 public:
  FakeAnswer Accept(const RecordedRequest& r) {
    std::lock_guard lock(mu_);
    at_.push_back(SystemClock().NowMs());
    bodies_.push_back(r.body);
    return FakeAnswer{200, R"({"url":"https://crm/r/1"})"};
  }
  std::size_t Count() const {
    std::lock_guard lock(mu_);
    return at_.size();
  }
  UnixMs At(std::size_t i) const {
    std::lock_guard lock(mu_);
    return at_.at(i);
  }
  std::size_t With(const std::string& needle) const {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(std::count_if(bodies_.begin(), bodies_.end(), [&](auto& b) {
      return b.find(needle) != std::string::npos;
    }));
  }

 private:
  mutable std::mutex mu_;
  std::vector<UnixMs> at_;
  std::vector<std::string> bodies_;
};

}  // namespace

TEST_CASE(
    "postgres e2e: a reply committed on an instance that does not send is sent by the other, "
    "woken by the commit (LISTEN/NOTIFY), not by its next poll") {
  if (SkipUnlessPostgresOwnTest()) return;
  PgTestDatabase db;
  TempDir dir;
  FakeSlack slack;
  FakeHttpServer receiver;
  ReceivedReplies from_a, from_b;  // each instance posts replies to a path of its own
  receiver.On("/replies-a", [&](const RecordedRequest& r) { return from_a.Accept(r); });
  receiver.On("/replies-b", [&](const RecordedRequest& r) { return from_b.Accept(r); });
  const int port_a = FreePort();
  const int port_b = FreePort();
  // a takes webhooks and commands and sends nothing (delivery.enabled false); b sends.
  json a_config =
      Unpaced(Config(db.url(), port_a, slack.api_base(), receiver.url() + "/replies-a"));
  a_config["delivery"]["enabled"] = false;
  WriteFile(dir.File("a.json"), a_config.dump());
  WriteFile(
      dir.File("b.json"),
      Unpaced(Config(db.url(), port_b, slack.api_base(), receiver.url() + "/replies-b")).dump());
  std::filesystem::create_directories(dir.File("a"));
  std::filesystem::create_directories(dir.File("b"));
  DuplexProcess a({"serve", "--config", dir.File("a.json"), "--log-level", "warn"}, dir.File("a"));
  DuplexProcess b({"serve", "--config", dir.File("b.json"), "--log-level", "warn"}, dir.File("b"));
  REQUIRE(WaitUntil([&] { return Ready(port_a) && Ready(port_b); }, 15'000));

  auto mention = SignedMention(port_a, "w1", "conv-w", "where is order wake-marker?");
  REQUIRE(mention.ok());
  CHECK(mention.response.status == 200);
  REQUIRE(slack.WaitForPosts(1, 10'000));  // posted by b
  REQUIRE(WaitOutboxDrained(port_b, 10'000));

  constexpr int kTries = 8;
  std::vector<UnixMs> latencies;
  for (int i = 0; i < kTries; ++i) {
    CAPTURE(i);
    const std::string marker = "wake-reply-" + std::to_string(i);
    auto queued = SignedCommand(port_a, "reply 1 " + marker, "trig-w" + std::to_string(i));
    REQUIRE(queued.ok());
    REQUIRE(queued.response.body.find("Queued reply to #1") != std::string::npos);
    REQUIRE(WaitUntil([&] { return from_b.Count() > static_cast<std::size_t>(i); }, 10'000));
    CHECK(from_b.With(marker) == 1);
    // Committed at the row's created_at (taken in the transaction, just before COMMIT).
    const UnixMs committed = std::stoll(
        PgQuery(db.url(),
                "SELECT o.created_at FROM outbox o JOIN messages m ON m.id = o.message_id"
                " WHERE o.kind = 'platform_reply' AND m.text LIKE '%" +
                    marker + "%'"));
    latencies.push_back(from_b.At(static_cast<std::size_t>(i)) - committed);
    // The confirmation in the thread goes before the next reply of the conversation.
    REQUIRE(WaitOutboxDrained(port_b, 10'000));
  }
  CHECK(from_a.Count() == 0);
  CHECK(from_b.Count() == static_cast<std::size_t>(kTries));
  // b heard each commit of a's: the wake-ups came through the database.
  CHECK(Metric(port_b, "duplex_outbox_notifications_total") >= kTries);
  std::sort(latencies.begin(), latencies.end());
  MESSAGE("commit on a -> reply at the platform from b, ms over "
          << kTries << " tries: median " << latencies[kTries / 2] << ", max " << latencies.back()
          << ", min " << latencies.front());
  CHECK(a.Signal(SIGTERM) == 0);
  CHECK(b.Signal(SIGTERM) == 0);
}

TEST_CASE(
    "postgres e2e: the database restarts (fast, then immediate): webhooks get 503 and /readyz "
    "says not ready meanwhile, then all comes back without restarting duplex, nothing "
    "acknowledged lost") {
  if (PgPrivateServer::Skip() ||
      SkipOnPostgres("it runs on a private PostgreSQL server in the e2e: run already")) {
    return;
  }
  PgPrivateServer pg;  // private: the shared test server must keep running
  TempDir dir;
  FakeSlack slack;
  FakeHttpServer receiver;
  ReceivedReplies replies;
  std::mutex first_mu;
  bool refused_once = false;
  // The first attempt of the reply fails (a 500: retried about 5 s later), so it is still
  // queued when the database goes away.
  receiver.On("/replies", [&](const RecordedRequest& r) {
    {
      std::lock_guard lock(first_mu);
      if (!refused_once) {
        refused_once = true;
        return FakeAnswer{500, "{}"};
      }
    }
    return replies.Accept(r);
  });
  const int port = FreePort();
  WriteFile(dir.File("c.json"),
            Unpaced(Config(pg.url(), port, slack.api_base(), receiver.url() + "/replies")).dump());
  DuplexProcess duplex({"serve", "--config", dir.File("c.json")}, dir.path().string());
  INFO("duplex's log:\n" << duplex.Stderr());  // read if a check fails
  REQUIRE(WaitUntil([&] { return Ready(port); }, 15'000));

  std::vector<std::string> acknowledged;                     // markers of mentions answered 2xx
  std::vector<std::pair<std::string, std::string>> refused;  // (id, marker) answered 503
  auto mention = [&](const std::string& id) {
    const std::string marker = "outage-marker-" + id;
    auto r = SignedMention(port, id, "conv-" + id, "where is " + marker + "?");
    if (r.ok() && r.response.status == 200) acknowledged.push_back(marker);
    return r;
  };
  // Conversation #1, which the reply answers (its thread notice quotes it, so it has no marker).
  auto anchor = SignedMention(port, "anchor", "conv-anchor", "please answer me");
  REQUIRE(anchor.ok());
  REQUIRE(anchor.response.status == 200);
  REQUIRE(mention("before").response.status == 200);
  REQUIRE(slack.WaitForPosts(2, 10'000));
  auto queued = SignedCommand(port, "reply 1 queued-before-the-outage", "trig-outage");
  REQUIRE(queued.ok());
  REQUIRE(queued.response.body.find("Queued reply to #1") != std::string::npos);
  REQUIRE(WaitUntil(
      [&] {
        std::lock_guard lock(first_mu);
        return refused_once;
      },
      10'000));

  UnixMs first_stop = 0;
  for (const std::string mode : {"fast", "immediate"}) {
    CAPTURE(mode);
    pg.Stop(mode);
    if (first_stop == 0) first_stop = SystemClock().NowMs();
    const auto start = std::chrono::steady_clock::now();
    auto during = mention("during-" + mode);
    // Answered (no hang: the client gives up after 5 s), and 503, so the platform resends.
    REQUIRE(during.ok());
    CHECK(during.response.status == 503);
    refused.emplace_back("during-" + mode, "outage-marker-during-" + mode);
    CHECK(ReadyStatus(port, 5000) == 503);
    MESSAGE("pg_ctl stop -m " << mode << ": webhook and /readyz answered 503 in "
                              << std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count()
                              << " ms");

    pg.Start();
    const auto restarted = std::chrono::steady_clock::now();
    REQUIRE(WaitUntil([&] { return Ready(port); }, 15'000));
    MESSAGE("ready again " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - restarted)
                                  .count()
                           << " ms after the server accepted connections");
    auto after = mention("after-" + mode);
    REQUIRE(after.ok());
    CHECK(after.response.status == 200);
  }
  // The platform resends what was refused: now accepted.
  for (const auto& [id, marker] : refused) {
    auto resent = mention(id);
    REQUIRE(resent.ok());
    CHECK(resent.response.status == 200);
  }

  // Everything acknowledged is stored and posted once; the reply queued before is sent after.
  REQUIRE(WaitUntil([&] { return replies.Count() >= 1; }, 20'000));
  REQUIRE(WaitOutboxDrained(port, 20'000));
  CHECK(acknowledged.size() == 5);
  for (const auto& marker : acknowledged) {
    CAPTURE(marker);
    CHECK(PgQuery(pg.url(), "SELECT count(*) FROM messages WHERE text LIKE '%" + marker + "%'") ==
          "1");
    CHECK(PostsWith(slack, marker) == 1);
  }
  CHECK(replies.Count() == 1);
  CHECK(replies.With("queued-before-the-outage") == 1);
  CHECK(replies.At(0) > first_stop);

  const std::string log = duplex.Stderr();
  CHECK(log.find("database unreachable") != std::string::npos);
  CHECK(log.find("database reachable again") != std::string::npos);
  CHECK(log.find("outbox listener reconnected") != std::string::npos);
  CHECK(duplex.Signal(SIGTERM) == 0);
}

}  // namespace duplex::test
