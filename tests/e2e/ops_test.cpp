// Running duplex in production, with the real binary as an operator runs it: the Slack
// manifest, print-config, check-config's database checks, backups under load, upgrades from
// the schema-1 fixture, a newer database refused, JSON logs.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/httplib_client.h"
#include "core/clock.h"
#include "core/text.h"
#include "security/signatures.h"
#include "storage/migrations.h"
#include "storage/sqlite_store.h"
#include "support/e2e_env.h"
#include "support/process.h"

namespace duplex::test {

using nlohmann::json;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

const std::string kFixtureV1 = std::string(DUPLEX_FIXTURES_DIR) + "/db/v1.db";

json ServeConfig(const std::string& database, int port, const std::string& slack_api,
                 const std::string& reply_url) {
  return {{"listen", {{"host", "127.0.0.1"}, {"port", port}}},
          {"database", database},
          {"public_url", "https://duplex.acme.test"},
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

const std::map<std::string, std::string> kEnv = {{"TEST_BOT_TOKEN", "xoxb-ops-distinctive-token"},
                                                 {"TEST_SIGNING_SECRET", kSigningSecret},
                                                 {"TEST_GENERIC_SECRET", kGenericSecret}};

std::string Base(int port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (auto& line : text::Split(text, '\n')) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Every line is one JSON object with time, level and message; returns how many there were.
std::size_t CheckJsonLines(const std::string& text) {
  auto lines = Lines(text);
  for (const auto& line : lines) {
    json j = json::parse(line, nullptr, false);
    CHECK_MESSAGE(j.is_object(), line);
    if (!j.is_object()) continue;
    CHECK_MESSAGE(j.contains("time"), line);
    CHECK_MESSAGE(j.contains("level"), line);
    CHECK_MESSAGE(j.contains("message"), line);
  }
  return lines.size();
}

HttpResult PostGeneric(HttpClient& http, int port, const std::string& id,
                       const std::string& conversation, const std::string& text) {
  SystemClock clock;
  std::string ts = std::to_string(clock.NowSeconds());
  std::string raw = E2eEnv::GenericMention(id, conversation, text).dump();
  HttpRequest req;
  req.url = Base(port) + "/webhooks/generic";
  req.body = raw;
  req.headers = {{"webhook-id", id},
                 {"webhook-timestamp", ts},
                 {"webhook-signature", security::SignStandardWebhook(kGenericSecret, id, ts, raw)}};
  return http.Send(req);
}

HttpResult SlackCommand(int port, const std::string& text) {
  SystemClock clock;
  std::string form =
      "token=unused&team_id=" + std::string(kTeam) + "&channel_id=" + kDefaultChannel +
      "&user_id=U0STAFF&user_name=staff&command=%2Fduplex&text=" + text::UrlEncode(text) +
      "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&trigger_id=ops-" +
      std::to_string(clock.NowMs());
  std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = Base(port) + "/chat/slack/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = form;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, ts, form)}};
  HttplibClient http;
  return http.Send(req);
}

std::vector<std::string> BackupsIn(const TempDir& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().extension() == ".bak") found.push_back(e.path().string());
  }
  return found;
}

void SetUserVersion(const std::string& path, int version) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA user_version = " + std::to_string(version));
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

TEST_CASE(
    "slack-manifest: the manifest as JSON with every URL under public_url, no secrets needed") {
  TempDir dir;
  json cfg = ServeConfig(dir.File("duplex.db"), 8080, "https://slack.com/api", "https://crm/r");
  cfg["public_url"] = "https://support.acme.test/duplex/";
  WriteFile(dir.File("c.json"), cfg.dump());
  // The operator runs this before Slack has given them a token: no env variables set.
  auto r = RunDuplex({"slack-manifest", "--config", dir.File("c.json")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  json m = json::parse(r.out, nullptr, false);
  REQUIRE(m.is_object());
  std::vector<std::string> urls = {m["settings"]["event_subscriptions"]["request_url"],
                                   m["settings"]["interactivity"]["request_url"]};
  std::set<std::string> commands;
  for (const auto& c : m["features"]["slash_commands"]) {
    urls.push_back(c["url"]);
    commands.insert(c["command"].get<std::string>());
    CHECK(c["should_escape"] == true);
  }
  for (const auto& u : urls)
    CHECK_MESSAGE(u.rfind("https://support.acme.test/duplex/chat/slack/", 0) == 0, u);
  CHECK(urls.size() == 4);
  CHECK(commands == std::set<std::string>{"/duplex", "/reply"});
  std::set<std::string> events, scopes;
  for (const auto& e : m["settings"]["event_subscriptions"]["bot_events"])
    events.insert(e.get<std::string>());
  for (const auto& s : m["oauth_config"]["scopes"]["bot"]) scopes.insert(s.get<std::string>());
  CHECK(events == std::set<std::string>{"message.channels", "message.groups", "app_mention"});
  CHECK(scopes == std::set<std::string>{"commands", "chat:write", "channels:history",
                                        "groups:history", "app_mentions:read", "users:read"});
  CHECK(r.out.find("example.com") == std::string::npos);

  SUBCASE("without public_url it says what to add, exit 2") {
    cfg.erase("public_url");
    WriteFile(dir.File("c.json"), cfg.dump());
    auto bad = RunDuplex({"slack-manifest", "--config", dir.File("c.json")});
    CHECK(bad.exit_code == 2);
    CHECK(bad.out.empty());
    CHECK(bad.err.find("public_url") != std::string::npos);
  }
  SUBCASE("public_url from an unset variable is named") {
    cfg["public_url"] = "${DUPLEX_PUBLIC_URL}";
    WriteFile(dir.File("c.json"), cfg.dump());
    auto bad = RunDuplex({"slack-manifest", "--config", dir.File("c.json")});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("public_url: environment variable DUPLEX_PUBLIC_URL is not set") !=
          std::string::npos);
  }
}

TEST_CASE("print-config: the effective config with defaults, and not one secret") {
  TempDir dir;
  json cfg = ServeConfig(dir.File("duplex.db"), 8080, "https://slack.com/api",
                         "https://crm/r?api_key=PRINTLEAK-query-10");
  cfg["platforms"]["telegram"] = {{"bot_token", "${TG_TOKEN}"}, {"secret_token", "${TG_SECRET}"}};
  cfg["platforms"]["github"] = {{"secret", "${GH_SECRET}"}, {"token", "${GH_TOKEN}"}};
  cfg["platforms"]["meta"] = {{"app_secret", "${META_SECRET}"},
                              {"verify_token", "${META_VERIFY}"},
                              {"page_token", "${META_PAGE}"}};
  WriteFile(dir.File("c.json"), cfg.dump());
  const std::map<std::string, std::string> env = {
      {"TEST_BOT_TOKEN", "xoxb-PRINTLEAK-1"},  {"TEST_SIGNING_SECRET", "PRINTLEAK-signing-2"},
      {"TEST_GENERIC_SECRET", kGenericSecret}, {"TG_TOKEN", "42:PRINTLEAK-telegram-3"},
      {"TG_SECRET", "PRINTLEAK-tg-secret-4"},  {"GH_SECRET", "PRINTLEAK-github-5"},
      {"GH_TOKEN", "ghp_PRINTLEAK6"},          {"META_SECRET", "PRINTLEAK-meta-7"},
      {"META_VERIFY", "PRINTLEAK-verify-8"},   {"META_PAGE", "PRINTLEAK-page-9"}};
  auto r = RunDuplex({"print-config", "--config", dir.File("c.json")}, env);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  for (const auto& [name, value] : env) {
    CHECK_MESSAGE(r.out.find(value) == std::string::npos, name);
    CHECK_MESSAGE(r.err.find(value) == std::string::npos, name);
  }
  CHECK(r.out.find("PRINTLEAK") == std::string::npos);
  json printed = json::parse(r.out, nullptr, false);
  REQUIRE(printed.is_object());
  // Values from the environment name their variable; a URL written in the file keeps its
  // shape, its query values masked.
  CHECK(printed["chat"]["bot_token"] == "***(from ${TEST_BOT_TOKEN})");
  CHECK(printed["platforms"]["generic"]["secret"] == "***(from ${TEST_GENERIC_SECRET})");
  CHECK(printed["platforms"]["telegram"]["secret_token"] == "***(from ${TG_SECRET})");
  CHECK(printed["platforms"]["generic"]["reply_url"] == "https://crm/r?api_key=***");
  CHECK(printed["listen"]["threads"] == 64);
  CHECK(printed["database_synchronous"] == "FULL");

  auto invalid = RunDuplex({"print-config", "--config", dir.File("c.json")},
                           {{"TEST_BOT_TOKEN", "xoxb-PRINTLEAK-1"}});
  CHECK(invalid.exit_code == 2);
  CHECK(invalid.err.find("TEST_SIGNING_SECRET is not set") != std::string::npos);
  CHECK(invalid.err.find("PRINTLEAK") == std::string::npos);
}

TEST_CASE("check-config: the database path must be usable, each platform must have its keys") {
  if (SkipOnPostgres("SQLite's checks: a file's folder, its permissions, its user_version "
                     "(PostgreSQL's check-config: postgres_test.cpp)"))
    return;
  TempDir dir;
  auto check = [&](const json& cfg) {
    WriteFile(dir.File("c.json"), cfg.dump());
    return RunDuplex({"check-config", "--config", dir.File("c.json")}, kEnv);
  };
  json cfg = ServeConfig(dir.File("duplex.db"), 8080, "https://slack.com/api", "https://crm/r");

  auto ok = check(cfg);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("does not exist yet; serve creates it") != std::string::npos);

  cfg["database"] = dir.File("no-such-folder/duplex.db");
  auto missing = check(cfg);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("database: folder '" + dir.File("no-such-folder") + "' does not exist") !=
        std::string::npos);

  cfg["database"] = "/proc/duplex.db";
  auto readonly = check(cfg);
  CHECK(readonly.exit_code == 2);
  CHECK(readonly.err.find("is not writable") != std::string::npos);

  cfg["database"] = dir.File("newer.db");
  SetUserVersion(dir.File("newer.db"), storage::LatestSchemaVersion() + 5);
  auto newer = check(cfg);
  CHECK(newer.exit_code == 2);
  CHECK(newer.err.find("schema version " + std::to_string(storage::LatestSchemaVersion() + 5)) !=
        std::string::npos);
  CHECK(newer.err.find("newer than this duplex") != std::string::npos);

  cfg["database"] = dir.File("duplex.db");
  cfg["platforms"]["telegram"] = {{"bot_token", "42:abc"}};
  cfg["platforms"]["meta"] = json::object();
  auto keys = check(cfg);
  CHECK(keys.exit_code == 2);
  CHECK(keys.err.find("platforms.telegram.secret_token: required") != std::string::npos);
  CHECK(keys.err.find("platforms.meta.app_secret: required") != std::string::npos);
  CHECK(keys.err.find("platforms.meta.verify_token: required") != std::string::npos);
}

TEST_CASE(
    "a database from a newer duplex: serve exits 2 with a clear message, in JSON when asked") {
  if (SkipOnPostgres("it sets a SQLite file's user_version (PostgreSQL refuses a newer schema in "
                     "pg_store_test.cpp)"))
    return;
  TempDir dir;
  SetUserVersion(dir.File("duplex.db"), 99);
  WriteFile(dir.File("c.json"),
            ServeConfig(dir.File("duplex.db"), FreePort(), "https://slack.com/api", "https://crm/r")
                .dump());
  auto text = RunDuplex({"serve", "--config", dir.File("c.json")}, kEnv, 10'000);
  CHECK(text.exit_code == 2);
  CHECK(text.err.find("schema version 99, newer than this duplex understands") !=
        std::string::npos);

  auto jsonl =
      RunDuplex({"serve", "--config", dir.File("c.json"), "--log-format", "json"}, kEnv, 10'000);
  CHECK(jsonl.exit_code == 2);
  CHECK(CheckJsonLines(jsonl.err) >= 1);
  CHECK(jsonl.out.empty());
  CHECK(jsonl.err.find("schema version 99") != std::string::npos);
  SQLite::Database db(dir.File("duplex.db"), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == 99);
}

TEST_CASE("json logs: startup errors are JSON lines too") {
  TempDir dir;
  E2eDatabase database(dir);
  json cfg = ServeConfig(database.config(), FreePort(), "https://slack.com/api", "https://crm/r");
  cfg["platforms"]["generic"].erase("secret");
  cfg["listen"]["port"] = "eighty";
  WriteFile(dir.File("bad.json"), cfg.dump());
  auto bad = RunDuplex({"serve", "--config", dir.File("bad.json"), "--log-format", "json"}, kEnv);
  CHECK(bad.exit_code == 2);
  CHECK(CheckJsonLines(bad.err) == 2);  // one line per problem
  CHECK(bad.err.find("platforms.generic.secret: required") != std::string::npos);
  CHECK(bad.out.empty());

  auto absent =
      RunDuplex({"serve", "--config", dir.File("nope.json"), "--log-format", "json"}, kEnv);
  CHECK(absent.exit_code == 2);
  CHECK(CheckJsonLines(absent.err) == 1);

  auto level = RunDuplex(
      {"serve", "--config", dir.File("bad.json"), "--log-format", "json", "--log-level", "loud"});
  CHECK(level.exit_code == 2);
  CHECK(CheckJsonLines(level.err) == 1);
  CHECK(level.err.find("--log-level") != std::string::npos);

  auto usage = RunDuplex(
      {"serve", "--log-format", "json", "--config", dir.File("bad.json"), "--frobnicate"});
  CHECK(usage.exit_code == 2);
  CHECK(CheckJsonLines(usage.err + usage.out) == 1);

  auto port_taken = [&] {
    FakeHttpServer occupant;
    WriteFile(dir.File("c.json"), ServeConfig(database.config(), occupant.port(),
                                              "https://slack.com/api", "https://crm/r")
                                      .dump());
    return RunDuplex({"serve", "--config", dir.File("c.json"), "--log-format", "json"}, kEnv,
                     10'000);
  }();
  CHECK(port_taken.exit_code == 1);
  CHECK(CheckJsonLines(port_taken.err) >= 1);
  CHECK(port_taken.err.find("cannot listen") != std::string::npos);
}

TEST_CASE("json logs: request lines carry no bodies, query strings or secrets") {
  TempDir dir;
  E2eDatabase database(dir);
  FakeSlack slack;
  int port = FreePort();
  WriteFile(dir.File("c.json"),
            ServeConfig(database.config(), port, slack.api_base(), "https://crm/r").dump());
  DuplexProcess server(
      {"serve", "--config", dir.File("c.json"), "--log-format", "json", "--log-level", "debug"},
      dir.path().string(), kEnv);
  REQUIRE(WaitHealthy(port));
  HttplibClient http;

  HttpRequest query;
  query.method = "GET";
  query.url = Base(port) + "/webhooks/generic?token=QUERYLEAK1&hub.verify_token=QUERYLEAK2";
  http.Send(query);

  HttpRequest forged;
  forged.url = Base(port) + "/webhooks/generic?sig=QUERYLEAK3";
  forged.body = R"({"id":"x","text":"BODYLEAK1","author":{"id":"a"}})";
  forged.headers = {
      {"webhook-id", "x"}, {"webhook-timestamp", "1"}, {"webhook-signature", "v1,HEADERLEAK1"}};
  http.Send(forged);

  REQUIRE(PostGeneric(http, port, "ops-log-1", "log-conv", "BODYLEAK2 a real mention")
              .response.status == 200);
  auto cmd = SlackCommand(port, "reply 1 BODYLEAK3 staff text");
  CHECK(cmd.response.status == 200);

  HttpRequest unknown;
  unknown.url = Base(port) + "/wp-admin/QUERYLEAK4?x=QUERYLEAK5";
  http.Send(unknown);

  REQUIRE(slack.WaitForPosts(1));
  CHECK(server.Signal(SIGTERM) == 0);
  std::string logs = server.Stderr() + server.Stdout();
  CHECK(CheckJsonLines(logs) >= 5);
  for (const char* leak : {"QUERYLEAK", "BODYLEAK", "HEADERLEAK", "xoxb-ops-distinctive-token",
                           kSigningSecret, kGenericSecret}) {
    CHECK_MESSAGE(logs.find(leak) == std::string::npos, leak);
  }
  int requests = 0;
  for (const auto& line : Lines(logs)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j["message"] == "request") {
      ++requests;
      CHECK(j["path"].get<std::string>().find('?') == std::string::npos);
    }
  }
  CHECK(requests >= 5);
}

TEST_CASE("json logs: with the console chat, its posts are JSON lines too and stdout stays empty") {
  TempDir dir;
  E2eDatabase database(dir);
  int port = FreePort();
  json cfg = ServeConfig(database.config(), port, "https://slack.com/api", "https://crm/r");
  cfg["chat"] = {{"kind", "console"}};
  WriteFile(dir.File("c.json"), cfg.dump());
  DuplexProcess server({"serve", "--config", dir.File("c.json"), "--log-format", "json"},
                       dir.path().string(), kEnv);
  REQUIRE(WaitHealthy(port));
  HttplibClient http;
  REQUIRE(PostGeneric(http, port, "console-1", "console-conv", "first line\nsecond line")
              .response.status == 200);
  CHECK(WaitUntil([&] { return server.Stderr().find("\"chat post\"") != std::string::npos; }));
  CHECK(server.Signal(SIGTERM) == 0);
  CHECK(server.Stdout().empty());
  CheckJsonLines(server.Stderr());
  bool found = false;
  for (const auto& line : Lines(server.Stderr())) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j["message"] == "chat post") {
      found = true;
      CHECK(j["text"].get<std::string>().find("first line\n    second line") != std::string::npos);
    }
  }
  CHECK(found);
}

TEST_CASE("upgrade: serve starts on the schema-1 fixture and its conversations are there") {
  if (SkipOnPostgres("the fixture is a schema-1 SQLite file, and the copy before an upgrade is "
                     "SQLite's"))
    return;
  TempDir dir;
  FakeSlack slack;
  FakeHttpServer receiver;
  fs::copy_file(kFixtureV1, dir.File("duplex.db"));
  int port = FreePort();
  WriteFile(
      dir.File("c.json"),
      ServeConfig(dir.File("duplex.db"), port, slack.api_base(), receiver.url() + "/r").dump());
  auto check = RunDuplex({"check-config", "--config", dir.File("c.json")}, kEnv);
  CHECK(check.exit_code == 0);
  if (storage::LatestSchemaVersion() > 1)
    CHECK(check.out.find("will be upgraded") != std::string::npos);

  DuplexProcess server({"serve", "--config", dir.File("c.json"), "--log-format", "json"},
                       dir.path().string(), kEnv);
  REQUIRE(WaitHealthy(port));
  auto reply = SlackCommand(port, "reply 2 We can change it, which address?");
  CHECK(reply.response.status == 200);
  CHECK(reply.response.body.find("Queued reply to #2") != std::string::npos);
  // The reply the fixture left pending goes out now.
  CHECK(WaitUntil([&] { return receiver.Count("/r") >= 1; }, 10'000));
  CHECK(server.Signal(SIGTERM) == 0);
  CheckJsonLines(server.Stderr());

  SQLite::Database db(dir.File("duplex.db"), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == storage::LatestSchemaVersion());
  if (storage::LatestSchemaVersion() > 1) {
    auto backups = BackupsIn(dir);
    REQUIRE(backups.size() == 1);
    CHECK(backups[0].find("duplex.db.v1-") != std::string::npos);
    CHECK(server.Stderr().find("database backed up before the schema upgrade") !=
          std::string::npos);
  } else {
    CHECK(BackupsIn(dir).empty());  // nothing to upgrade, nothing copied
  }
}

TEST_CASE(
    "serve and backup under the usual umask: the database, its WAL files, the upgrade backup "
    "and the backup are readable by their owner only") {
  if (SkipOnPostgres("the permissions of SQLite's files: the database, its WAL, the backups"))
    return;
  struct UsualUmask {
    mode_t old = ::umask(022);  // the server and the backup inherit it
    ~UsualUmask() { ::umask(old); }
  } umask;
  TempDir dir;
  FakeSlack slack;
  FakeHttpServer receiver;
  const std::string db_path = dir.File("duplex.db");
  fs::copy_file(kFixtureV1, db_path);
  fs::permissions(db_path, fs::perms(0644));
  auto mode = [](const std::string& path) {
    struct stat st {};
    REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, path);
    return st.st_mode & 0777;
  };
  int port = FreePort();
  WriteFile(dir.File("c.json"),
            ServeConfig(db_path, port, slack.api_base(), receiver.url() + "/r").dump());
  {
    DuplexProcess server({"serve", "--config", dir.File("c.json")}, dir.path().string(), kEnv);
    REQUIRE(WaitHealthy(port));
    HttplibClient http;
    REQUIRE(PostGeneric(http, port, "perm-1", "perm-conv", "my address is ...").response.status ==
            200);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      REQUIRE_MESSAGE(fs::exists(db_path + suffix), suffix);
      CHECK_MESSAGE(mode(db_path + suffix) == 0600, suffix);
    }
    auto backups = BackupsIn(dir);
    REQUIRE(backups.size() == 1);
    CHECK(mode(backups[0]) == 0600);
    auto backup =
        RunDuplex({"backup", "--config", dir.File("c.json"), "--to", dir.File("backup.db")});
    REQUIRE_MESSAGE(backup.exit_code == 0, backup.err);
    CHECK(mode(dir.File("backup.db")) == 0600);
    CHECK(server.Signal(SIGTERM) == 0);
  }
}

TEST_CASE("backup under load: consistent, complete up to its start, and webhooks barely held up") {
  if (SkipOnPostgres("duplex backup copies a SQLite database (PostgreSQL: pg_dump)")) return;
  TempDir dir;
  FakeSlack slack;
  FakeHttpServer receiver;
  const std::string db_path = dir.File("duplex.db");

  // A database of realistic size, so that the copy takes long enough to overlap many webhooks.
  const int kPreloaded = 12'000;
  {
    SqliteOptions o{db_path};
    o.synchronous = "NORMAL";
    auto store = SqliteStore::Open(o);
    REQUIRE(store.ok());
    std::string filler;
    for (int i = 0; filler.size() < 3000; ++i)
      filler += "word" + std::to_string(i * 7919 % 10007) + " ";
    for (int batch = 0; batch < kPreloaded / 500; ++batch) {
      std::vector<IngestItem> items;
      for (int i = 0; i < 500; ++i) {
        int n = batch * 500 + i;
        Mention m;
        m.platform = "generic";
        m.event_id = "pre-" + std::to_string(n);
        m.message_id = m.event_id;
        m.conversation_key = "pre-conv-" + std::to_string(n / 4);
        m.text = std::to_string(n) + " " + filler;
        m.author = {"a" + std::to_string(n % 97), "handle", "Name", 10};
        m.reply_target = "{}";
        items.push_back({m, kDefaultChannel, ""});
      }
      REQUIRE((*store)->Ingest(items, 1000 + batch).ok());
    }
    // Their chat posts were delivered long ago.
    for (;;) {
      auto due = (*store)->ClaimDue("preload", 1'000'000'000, 60'000, 1000, {}, {});
      REQUIRE(due.ok());
      if (due->empty()) break;
      for (const auto& d : *due) {
        DeliveryUpdate u;
        u.id = d.id;
        u.owner = d.owner;
        u.state = DeliveryState::kDone;
        u.message_chat_post = "1.1";
        REQUIRE((*store)->FinishDelivery(u, 2000).ok());
      }
    }
  }

  int port = FreePort();
  WriteFile(dir.File("c.json"),
            ServeConfig(db_path, port, slack.api_base(), receiver.url() + "/r").dump());
  DuplexProcess server({"serve", "--config", dir.File("c.json"), "--log-format", "json"},
                       dir.path().string(), kEnv);
  REQUIRE(WaitHealthy(port));

  struct Sample {
    std::string id;
    SteadyClock::time_point start, end;
    int status;
  };
  std::mutex mu;
  std::vector<Sample> samples;
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  auto load = [&] {
    HttplibClient http;
    while (!stop) {
      int n = next++;
      Sample s;
      s.id = "load-" + std::to_string(n);
      s.start = SteadyClock::now();
      auto r = PostGeneric(http, port, s.id, "load-conv-" + std::to_string(n / 3),
                           "under load " + std::to_string(n));
      s.end = SteadyClock::now();
      s.status = r.ok() ? r.response.status : 0;
      std::lock_guard lock(mu);
      samples.push_back(s);
    }
  };
  std::thread loader1(load), loader2(load);
  // A baseline before the copy: enough answered webhooks for a rate to compare with.
  const bool baseline = WaitUntil(
      [&] {
        std::lock_guard lock(mu);
        return samples.size() >= 200;
      },
      30'000);

  const auto backup_start = SteadyClock::now();
  auto backup = RunDuplex({"backup", "--config", dir.File("c.json"), "--to", dir.File("backup.db")},
                          {}, 120'000);
  const auto backup_end = SteadyClock::now();
  stop = true;  // each loader finishes the request it has under way: join collects them all
  loader1.join();
  loader2.join();
  REQUIRE(baseline);
  REQUIRE_MESSAGE(backup.exit_code == 0, backup.err);
  CHECK(server.Signal(SIGTERM) == 0);

  std::vector<std::string> acked_before;
  std::vector<double> before_ms, during_ms;
  SteadyClock::time_point first_start = backup_start;
  int completed_during = 0;
  for (const auto& s : samples) {
    CHECK_MESSAGE(s.status == 200, s.id);
    first_start = std::min(first_start, s.start);
    double ms = std::chrono::duration<double, std::milli>(s.end - s.start).count();
    if (s.end < backup_start) {
      acked_before.push_back(s.id);
      before_ms.push_back(ms);
    } else if (s.start < backup_end) {
      during_ms.push_back(ms);
      if (s.end <= backup_end) ++completed_during;
    }
  }
  const double backup_ms =
      std::chrono::duration<double, std::milli>(backup_end - backup_start).count();
  const double before_window_ms =
      std::chrono::duration<double, std::milli>(backup_start - first_start).count();
  const double rate_before = static_cast<double>(before_ms.size()) / before_window_ms;
  const double rate_during = completed_during / backup_ms;
  std::ostringstream report;
  report << "backup of " << fs::file_size(dir.File("backup.db")) / 1024 / 1024
         << " MiB: `duplex backup` ran " << backup_ms << " ms (" << text::Trim(backup.out)
         << "); webhooks before: n=" << before_ms.size() << " p50=" << Percentile(before_ms, 0.5)
         << " ms max=" << Percentile(before_ms, 1.0) << " ms; during: n=" << during_ms.size()
         << " p50=" << Percentile(during_ms, 0.5) << " ms max=" << Percentile(during_ms, 1.0)
         << " ms; throughput during/before = " << rate_during / rate_before;
  MESSAGE(report.str());
  std::cout << "[ops_test] " << report.str() << "\n";
  REQUIRE(!acked_before.empty());
  // Writers went on while the copy ran: had it locked them out, some webhook would have
  // waited about as long as the copy itself (a ratio within the same run, so a slow machine
  // slows both; the copy of this database takes a few hundred ms here). On a busy machine a
  // webhook can stall for a scheduler's whim too: the check needs a copy well above the
  // stalls seen before it began, or it could not tell a lock-out from noise.
  CHECK_MESSAGE(during_ms.size() >= 3, report.str());
  const std::string copied = "copied in ";
  const std::size_t at = backup.out.find(copied);
  REQUIRE(at != std::string::npos);
  const double copy_ms = std::stod(backup.out.substr(at + copied.size()));
  if (copy_ms >= 150 && copy_ms >= 2 * Percentile(before_ms, 1.0)) {
    CHECK_MESSAGE(Percentile(during_ms, 1.0) < 0.8 * copy_ms, report.str());
  }

  // The copy is consistent and holds every mention acknowledged before the backup began.
  SQLite::Database copy(dir.File("backup.db"), SQLite::OPEN_READONLY);
  CHECK(copy.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(copy.execAndGet("SELECT count(*) FROM messages WHERE event_id LIKE 'pre-%'").getInt() ==
        kPreloaded);
  SQLite::Statement has(
      copy, "SELECT conversation_id FROM messages WHERE platform = 'generic' AND event_id = ?");
  std::int64_t conversation_before = 0;
  int missing = 0;
  for (const auto& id : acked_before) {
    has.reset();
    has.bind(1, id);
    if (!has.executeStep()) {
      ++missing;
    } else {
      conversation_before = has.getColumn(0).getInt64();
    }
  }
  CHECK(missing == 0);

  // A server started on the copy knows that conversation.
  fs::copy_file(dir.File("backup.db"), dir.File("restored.db"));
  int port2 = FreePort();
  WriteFile(
      dir.File("c2.json"),
      ServeConfig(dir.File("restored.db"), port2, slack.api_base(), receiver.url() + "/r").dump());
  DuplexProcess restored({"serve", "--config", dir.File("c2.json")}, dir.path().string(), kEnv);
  REQUIRE(WaitHealthy(port2));
  auto reply = SlackCommand(
      port2, "reply " + std::to_string(conversation_before) + " Restored and answering");
  CHECK(reply.response.status == 200);
  CHECK(reply.response.body.find("Queued reply to #" + std::to_string(conversation_before)) !=
        std::string::npos);
  CHECK(restored.Signal(SIGTERM) == 0);
}

}  // namespace duplex::test
