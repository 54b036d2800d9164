// The real binary, as a user runs it.
#include <doctest/doctest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "app/httplib_client.h"
#include "core/text.h"
#include "support/e2e_env.h"
#include "support/process.h"

namespace duplex::test {

using nlohmann::json;

namespace {

json ServeConfig(const E2eDatabase& database, int port, const std::string& slack_api,
                 const std::string& reply_url) {
  return {{"listen", {{"host", "127.0.0.1"}, {"port", port}}},
          {"database", database.config()},
          {"chat",
           {{"kind", "slack"},
            {"api_base", slack_api},
            {"bot_token", "${TEST_BOT_TOKEN}"},
            {"signing_secret", "${TEST_SIGNING_SECRET}"},
            {"team_id", kTeam},
            {"default_channel", kDefaultChannel}}},
          {"platforms",
           {{"generic", {{"secret", "${TEST_GENERIC_SECRET}"}, {"reply_url", reply_url}}}}}};
}

const std::map<std::string, std::string> kEnv = {{"TEST_BOT_TOKEN", "xoxb-cli-distinctive-token"},
                                                 {"TEST_SIGNING_SECRET", kSigningSecret},
                                                 {"TEST_GENERIC_SECRET", kGenericSecret}};

}  // namespace

TEST_CASE("duplex version and --help") {
  auto v = RunDuplex({"version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("duplex 0.1.0") != std::string::npos);
  auto h = RunDuplex({"--help"});
  CHECK(h.exit_code == 0);
  for (const char* sub : {"serve", "check-config", "demo", "simulate", "version"}) {
    CHECK(h.out.find(sub) != std::string::npos);
  }
  auto sh = RunDuplex({"serve", "--help"});
  CHECK(sh.exit_code == 0);
  CHECK(sh.out.find("--config") != std::string::npos);
  auto bad = RunDuplex({"frobnicate"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("check-config: valid exits 0, invalid exits 2 naming JSON paths and never secrets") {
  TempDir dir;
  E2eDatabase database(dir);
  WriteFile(dir.File("ok.json"),
            ServeConfig(database, 8080, "https://slack.com/api", "https://crm/r").dump());
  auto ok = RunDuplex({"check-config", "--config", dir.File("ok.json")}, kEnv);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("is valid") != std::string::npos);

  auto missing_env = RunDuplex({"check-config", "--config", dir.File("ok.json")},
                               {{"TEST_BOT_TOKEN", "xoxb-cli-distinctive-token"}});
  CHECK(missing_env.exit_code == 2);
  CHECK(missing_env.err.find(
            "chat.signing_secret: environment variable TEST_SIGNING_SECRET is not set") !=
        std::string::npos);
  CHECK(missing_env.err.find("xoxb-cli-distinctive-token") == std::string::npos);

  json broken = ServeConfig(database, 8080, "https://slack.com/api", "https://crm/r");
  broken["listen"]["port"] = "http";
  broken["chat"].erase("team_id");
  WriteFile(dir.File("bad.json"), broken.dump());
  auto bad = RunDuplex({"check-config", "--config", dir.File("bad.json")}, kEnv);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("listen.port: must be an integer") != std::string::npos);
  CHECK(bad.err.find("chat.team_id: required") != std::string::npos);

  auto absent = RunDuplex({"check-config", "--config", dir.File("nope.json")});
  CHECK(absent.exit_code == 2);
  CHECK(absent.err.find("cannot read config file") != std::string::npos);
}

TEST_CASE("check-config and serve refuse a whsec_ secret that decodes to a short key (exit 2)") {
  TempDir dir;
  E2eDatabase database(dir);
  WriteFile(dir.File("c.json"),
            ServeConfig(database, FreePort(), "https://slack.com/api", "https://crm/r").dump());
  for (const char* weak : {"whsec_", "whsec_QQ=="}) {
    std::map<std::string, std::string> env = kEnv;
    env["TEST_GENERIC_SECRET"] = weak;
    for (const char* command : {"check-config", "serve"}) {
      auto r = RunDuplex({command, "--config", dir.File("c.json")}, env);
      CHECK_MESSAGE(r.exit_code == 2, command, " ", weak);
      CHECK_MESSAGE(
          r.err.find("platforms.generic.secret: must be at least 16 bytes") != std::string::npos,
          r.err);
    }
  }
}

TEST_CASE("serve refuses a bad config with exit 2 instead of starting half-configured") {
  TempDir dir;
  E2eDatabase database(dir);
  json cfg = ServeConfig(database, FreePort(), "https://slack.com/api", "https://crm/r");
  cfg["platforms"]["generic"].erase("secret");
  WriteFile(dir.File("c.json"), cfg.dump());
  auto r = RunDuplex({"serve", "--config", dir.File("c.json")}, kEnv);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("platforms.generic.secret: required") != std::string::npos);
}

TEST_CASE("serve + simulate: a signed sample reaches Slack — SIGTERM stops cleanly with exit 0") {
  TempDir dir;
  E2eDatabase database(dir);
  FakeSlack slack;
  FakeHttpServer receiver;
  int port = FreePort();
  WriteFile(dir.File("c.json"),
            ServeConfig(database, port, slack.api_base(), receiver.url() + "/r").dump());
  DuplexProcess server({"serve", "--config", dir.File("c.json"), "--log-format", "json"},
                       dir.path().string(), kEnv);
  REQUIRE(WaitHealthy(port));

  auto health =
      RunDuplex({"healthcheck", "--url", "http://127.0.0.1:" + std::to_string(port) + "/healthz"});
  CHECK(health.exit_code == 0);

  auto sim = RunDuplex(
      {"simulate", "generic", "--config", dir.File("c.json"), "--text", "simulated hello"}, kEnv);
  CHECK(sim.exit_code == 0);
  CHECK(sim.out.find("-> 200") != std::string::npos);
  REQUIRE(slack.WaitForPosts(1));
  CHECK(slack.Posts()[0]["text"].get<std::string>().find("simulated hello") != std::string::npos);

  HttplibClient http;
  HttpRequest scan;
  scan.method = "GET";
  scan.url = "http://127.0.0.1:" + std::to_string(port) + "/wp-admin/setup.php";
  CHECK(http.Send(scan).response.status == 404);
  HttpRequest metrics;
  metrics.method = "GET";
  metrics.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  // A request is counted once its answer is written (cpp-httplib's logger runs after the
  // write), so the scrape may come a moment before the 404 is counted: poll briefly.
  std::string exposition;
  CHECK(WaitUntil([&] {
    exposition = http.Send(metrics).response.body;
    return exposition.find("duplex_http_requests_total{path=\"unknown\",status=\"404\"} 1") !=
           std::string::npos;
  }));
  CHECK(exposition.find("wp-admin") == std::string::npos);
  // docs/operations.md lists every metric duplex exports.
  const std::string ops_doc =
      ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/../../docs/operations.md");
  for (const auto& line : text::Split(exposition, '\n')) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    CHECK_MESSAGE(ops_doc.find("| `" + name + "` |") != std::string::npos, name);
  }

  CHECK(server.Signal(SIGTERM) == 0);
  auto down =
      RunDuplex({"healthcheck", "--url", "http://127.0.0.1:" + std::to_string(port) + "/healthz"});
  CHECK(down.exit_code == 1);
  std::string logs = server.Stderr();
  CHECK(logs.find("duplex stopped") != std::string::npos);
  CHECK(logs.find("xoxb-cli-distinctive-token") == std::string::npos);
  CHECK(logs.find(kGenericSecret) == std::string::npos);
  // Every log line is one JSON object; numbers and booleans are JSON numbers and booleans,
  // and a path duplex does not serve is "unknown".
  std::size_t start = 0, lines = 0, requests = 0;
  bool saw_stopped = false, saw_unknown = false;
  while (start < logs.size()) {
    std::size_t end = logs.find('\n', start);
    std::string line = logs.substr(start, end - start);
    if (!line.empty()) {
      CHECK_MESSAGE(json::accept(line), line);
      ++lines;
      json entry = json::parse(line, nullptr, false);
      if (entry.value("message", "") == "request") {
        ++requests;
        CHECK_MESSAGE(entry["status"].is_number_integer(), line);
        CHECK_MESSAGE(entry["ms"].is_number(), line);
        saw_unknown = saw_unknown || (entry["path"] == "unknown" && entry["status"] == 404);
      }
      if (entry.value("message", "") == "duplex listening") CHECK(entry["port"] == port);
      if (entry.value("message", "") == "duplex stopped") {
        saw_stopped = true;
        CHECK(entry["clean"] == true);
      }
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  CHECK(lines >= 3);
  CHECK(requests >= 2);
  CHECK(saw_stopped);
  CHECK(saw_unknown);
}

TEST_CASE("serve on a port in use fails with a clear message") {
  TempDir dir;
  E2eDatabase database(dir);
  FakeHttpServer occupant;
  WriteFile(
      dir.File("c.json"),
      ServeConfig(database, occupant.port(), "https://slack.com/api", "https://crm/r").dump());
  auto r = RunDuplex({"serve", "--config", dir.File("c.json")}, kEnv, 10'000);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(occupant.port())) !=
        std::string::npos);
}

TEST_CASE("duplex demo runs the whole round trip and exits 0") {
  auto r = RunDuplex({"demo"}, {}, 60'000);
  CHECK_MESSAGE(r.exit_code == 0, std::string(r.out + r.err));
  CHECK(r.out.find("[FAILED]") == std::string::npos);
  CHECK(r.out.find("reply delivered, signed") != std::string::npos);
  // The confirmation itself, as the console chat printed it: in a thread, quoting the reply.
  const std::string confirmation = "] Reply by @U0STAFF posted on Webhook in reply to @ana";
  const std::size_t at = r.out.find(confirmation);
  REQUIRE(at != std::string::npos);
  const std::size_t line_start = r.out.rfind('\n', at) + 1;
  const std::string in_thread = "[chat #social thread console-";
  CHECK(r.out.compare(line_start, in_thread.size(), in_thread) == 0);
  CHECK(r.out.find("> Sorry Ana! Your parcel ships today", at) != std::string::npos);
  CHECK(r.out.find("[ok] confirmation posted in the conversation's thread") != std::string::npos);
}

}  // namespace duplex::test

namespace duplex::test {

TEST_CASE(
    "SIGTERM during a slow delivery lets it finish, exits 0, and the next start does not post it "
    "again") {
  TempDir dir;
  E2eDatabase database(dir);
  FakeSlack slack;
  FakeHttpServer receiver;
  // Slack answers the first post slowly: the delivery is in flight when SIGTERM arrives.
  slack.server.Script(
      "/api/chat.postMessage",
      FakeAnswer{200, R"({"ok":true,"ts":"1700000000.000001"})", "application/json", {}, 1500});
  int port = FreePort();
  WriteFile(dir.File("c.json"),
            ServeConfig(database, port, slack.api_base(), receiver.url() + "/r").dump());
  {
    DuplexProcess server({"serve", "--config", dir.File("c.json")}, dir.path().string(), kEnv);
    REQUIRE(WaitHealthy(port));
    auto sim = RunDuplex(
        {"simulate", "generic", "--config", dir.File("c.json"), "--text", "slow one"}, kEnv);
    REQUIRE(sim.exit_code == 0);
    REQUIRE(slack.server.WaitForCount("/api/chat.postMessage", 1));
    auto start = std::chrono::steady_clock::now();
    CHECK(server.Signal(SIGTERM) == 0);
    // It waited for the slow answer rather than dropping it.
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(500));
  }
  {
    DuplexProcess again({"serve", "--config", dir.File("c.json")}, dir.path().string(), kEnv);
    REQUIRE(WaitHealthy(port));
    // A post left for this run to make would be pending (or recovered to pending) until posted.
    REQUIRE(WaitOutboxDrained(port));
    CHECK(again.Signal(SIGTERM) == 0);
  }
  CHECK(slack.server.Count("/api/chat.postMessage") == 1);
}

}  // namespace duplex::test
