#include <doctest/doctest.h>

#include "app/config.h"
#include "app/httplib_client.h"

namespace duplex {

namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// "generic-webhook-secret-3": 24 bytes, base64 after whsec_.
constexpr const char* kGenericSecret = "whsec_Z2VuZXJpYy13ZWJob29rLXNlY3JldC0z";

const char* kMinimal = R"({
  "listen": {"port": 8080},
  "database": "duplex.db",
  "chat": {"kind": "slack", "bot_token": "${SLACK_BOT_TOKEN}", "signing_secret": "${SLACK_SIGNING_SECRET}",
           "team_id": "T0001", "default_channel": "C0SOCIAL", "admins": ["U0ADMIN"]},
  "platforms": {"generic": {"secret": "${GENERIC_WEBHOOK_SECRET}", "reply_url": "https://crm.example.com/replies"}}
})";

}  // namespace

TEST_CASE("a minimal config is valid, gets defaults and substitutes ${ENV}") {
  auto c = ParseConfig(kMinimal, FakeEnv({{"SLACK_BOT_TOKEN", "xoxb-secret-1"},
                                          {"SLACK_SIGNING_SECRET", "sign-secret-2-0123456789"},
                                          {"GENERIC_WEBHOOK_SECRET", kGenericSecret}}));
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->chat.bot_token == "xoxb-secret-1");
  CHECK(c->chat.signing_secret == "sign-secret-2-0123456789");
  CHECK(c->chat.api_base == "https://slack.com/api");
  CHECK(c->listen.host == "0.0.0.0");
  CHECK(c->listen.max_body_bytes == 1048576);
  CHECK(c->chat.rate_limit.per_second == 1.0);
  CHECK(c->sla.first_response_minutes == 20);
  CHECK(c->vip_followers == 10000);
  CHECK(c->platforms["generic"]["secret"] == kGenericSecret);
}

TEST_CASE("an unset environment variable is reported with its JSON path, not a value") {
  auto c = ParseConfig(kMinimal, FakeEnv({{"SLACK_BOT_TOKEN", "xoxb-secret-1"}}));
  REQUIRE_FALSE(c.ok());
  const std::string& m = c.status().message();
  CHECK(m.find("chat.signing_secret: environment variable SLACK_SIGNING_SECRET is not set") !=
        std::string::npos);
  CHECK(
      m.find("platforms.generic.secret: environment variable GENERIC_WEBHOOK_SECRET is not set") !=
      std::string::npos);
  CHECK(m.find("xoxb-secret-1") == std::string::npos);
}

TEST_CASE("embedded references expand — text that is not a reference stays") {
  nlohmann::json doc = {{"a", "pre-${X}-post"}, {"b", "${not valid}"}, {"c", {"${X}", 3}}};
  std::vector<std::string> errors;
  ExpandEnv(doc, FakeEnv({{"X", "v"}}), "", errors);
  CHECK(errors.empty());
  CHECK(doc["a"] == "pre-v-post");
  CHECK(doc["b"] == "${not valid}");
  CHECK(doc["c"][0] == "v");
}

TEST_CASE("every problem is listed with its JSON path") {
  auto c = ParseConfig(R"({
    "listen": {"port": "eighty", "max_body_bytes": 5},
    "chat": {"kind": "slack", "team_id": 7},
    "platforms": {"generic": {"reply_url": "ftp://x"}, "myspace": {}},
    "sla": {"first_response_minutes": 0}
  })",
                       FakeEnv({}));
  REQUIRE_FALSE(c.ok());
  const std::string& m = c.status().message();
  for (const char* expected :
       {"listen.port: must be an integer", "listen.max_body_bytes: must be between",
        "database: required", "chat.bot_token: required", "chat.signing_secret: required",
        "chat.team_id: must be a string", "chat.default_channel: required",
        "platforms.generic.secret: required",
        "platforms.generic.reply_url: must be an http:// or https:// URL",
        "platforms.myspace: unknown platform", "sla.first_response_minutes: must be between"}) {
    CHECK_MESSAGE(m.find(expected) != std::string::npos, expected);
  }
}

TEST_CASE("config-level refusals: not JSON, not an object, unknown chat kind, TLS half set") {
  CHECK(ParseConfig("{", FakeEnv({}))
            .status()
            .message()
            .rfind("config: not valid JSON at line 1, column 2: ", 0) == 0);
  CHECK(ParseConfig("[]", FakeEnv({})).status().message() ==
        "config: the top level must be a JSON object");
  auto c = ParseConfig(
      R"({"database":"postgresql://db/duplex","chat":{"kind":"irc"},"listen":{"tls_cert":"c.pem"}})",
      FakeEnv({}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("chat.kind: must be") != std::string::npos);
  CHECK(c.status().message().find("listen.tls_key: tls_cert and tls_key go together") !=
        std::string::npos);
  CHECK(c.status().message().find("database") == std::string::npos);  // a PostgreSQL URL is fine
}

TEST_CASE("database: a postgresql:// or postgres:// URL, even from ${DATABASE_URL}, is accepted") {
  auto c = ParseConfig(R"({"database":"${DATABASE_URL}","chat":{"kind":"console"}})",
                       FakeEnv({{"DATABASE_URL", "postgres://u:p@db:5432/duplex"}}));
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->database == "postgres://u:p@db:5432/duplex");
}

TEST_CASE("group commit is on unless database_group_commit is false (for benchmarks)") {
  const std::string base = R"({"database":"x.db","chat":{"kind":"console"})";
  auto on = ParseConfig(base + "}", FakeEnv({}));
  REQUIRE_MESSAGE(on.ok(), on.status().message());
  CHECK(on->group_commit);
  CHECK(on->synchronous == "FULL");
  auto off = ParseConfig(base + R"(,"database_group_commit":false})", FakeEnv({}));
  REQUIRE_MESSAGE(off.ok(), off.status().message());
  CHECK_FALSE(off->group_commit);
  auto bad = ParseConfig(base + R"(,"database_group_commit":"no"})", FakeEnv({}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("database_group_commit: must be") != std::string::npos);
}

TEST_CASE("delivery is on unless delivery.enabled is false, which needs a shared PostgreSQL") {
  auto on = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"}})", FakeEnv({}));
  REQUIRE_MESSAGE(on.ok(), on.status().message());
  CHECK(on->delivery_enabled);
  auto off = ParseConfig(R"({"database":"postgresql://db/duplex","chat":{"kind":"console"},)"
                         R"("delivery":{"enabled":false}})",
                         FakeEnv({}));
  REQUIRE_MESSAGE(off.ok(), off.status().message());
  CHECK_FALSE(off->delivery_enabled);
  // On SQLite no other process could send what this one stores.
  auto alone = ParseConfig(
      R"({"database":"x.db","chat":{"kind":"console"},"delivery":{"enabled":false}})", FakeEnv({}));
  REQUIRE_FALSE(alone.ok());
  CHECK(alone.status().message().find("delivery.enabled: false needs a PostgreSQL database") !=
        std::string::npos);
}

TEST_CASE("console chat needs no Slack credentials") {
  auto c = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"}})", FakeEnv({}));
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->chat.default_channel == "console");
  CHECK(c->platforms.empty());
}

TEST_CASE("mattermost accepts one command token or a list") {
  auto one = ParseConfig(
      R"({"database":"x.db","chat":{"kind":"mattermost","api_base":"https://mm.example.com",
      "bot_token":"b","command_token":"tokenduplex0000000000000001","team_id":"team1",
      "default_channel":"ch"}})",
      FakeEnv({}));
  REQUIRE_MESSAGE(one.ok(), one.status().message());
  CHECK(one->chat.command_tokens == std::vector<std::string>{"tokenduplex0000000000000001"});
  auto list = ParseConfig(
      R"({"database":"x.db","chat":{"kind":"mattermost","api_base":"https://mm.example.com",
      "bot_token":"b","command_token":["tokenduplex0000000000000001","tokenreply00000000000000001"],
      "team_id":"team1","default_channel":"ch"}})",
      FakeEnv({}));
  REQUIRE_MESSAGE(list.ok(), list.status().message());
  CHECK(list->chat.command_tokens.size() == 2);
  auto none = ParseConfig(
      R"({"database":"x.db","chat":{"kind":"mattermost","api_base":"https://mm.example.com",
      "bot_token":"b","team_id":"team1","default_channel":"ch"}})",
      FakeEnv({}));
  CHECK(none.status().message().find("chat.command_token: required") != std::string::npos);
}

TEST_CASE("a secret shorter than 16 bytes, or an empty token, is refused with its JSON path") {
  // Each case: a config, the error it must give, and the secret value that must not appear.
  struct Case {
    std::string config;
    std::string error;
    std::string secret;
  };
  const std::string slack =
      R"("chat":{"kind":"slack","bot_token":"xoxb-1","team_id":"T1","default_channel":"C1",)";
  const std::string console = R"("chat":{"kind":"console"})";
  const std::string mm =
      R"("chat":{"kind":"mattermost","api_base":"https://mm.example.com","bot_token":"b","team_id":"team1","default_channel":"ch",)";
  auto with = [&](const std::string& chat, const std::string& platforms) {
    return R"({"database":"x.db",)" + chat +
           (platforms.empty() ? "" : R"(,"platforms":{)" + platforms + "}") + "}";
  };
  const std::string ok_signing = R"("signing_secret":"slack-signing-secret-32-chars-ok"})";
  const std::vector<Case> cases = {
      {with(slack + R"("signing_secret":"short-secret"})", ""),
       "chat.signing_secret: must be at least 16 bytes", "short-secret"},
      {with(slack + R"("signing_secret":""})", ""), "chat.signing_secret: must not be empty", ""},
      {with(R"("chat":{"kind":"console","signing_secret":"console-short"})", ""),
       "chat.signing_secret: must be at least 16 bytes", "console-short"},
      {with(mm + R"("command_token":"tok-short"})", ""),
       "chat.command_token: must be at least 16 bytes", "tok-short"},
      {with(mm + R"("command_token":["tokduplex00000000000000001","tok-short"]})", ""),
       "chat.command_token[1]: must be at least 16 bytes", "tok-short"},
      {with(mm + R"("command_token":["tokduplex00000000000000001",""]})", ""),
       "chat.command_token[1]: must not be empty", ""},
      {with(R"("chat":{"kind":"slack","bot_token":"","team_id":"T1","default_channel":"C1",)" +
                ok_signing,
            ""),
       "chat.bot_token: must not be empty", ""},
      // Standard Webhooks: the key is what whsec_ is followed by, base64-decoded.
      {with(console, R"("generic":{"secret":"whsec_"})"),
       "platforms.generic.secret: must be at least 16 bytes once decoded", ""},
      {with(console, R"("generic":{"secret":"whsec_QQ=="})"),
       "platforms.generic.secret: must be at least 16 bytes once decoded", "whsec_QQ=="},
      {with(console, R"("generic":{"secret":"whsec_MTIzNDU2Nzg5MDEyMzQ1"})"),  // 15 bytes
       "platforms.generic.secret: must be at least 16 bytes once decoded",
       "whsec_MTIzNDU2Nzg5MDEyMzQ1"},
      {with(console, R"("generic":{"secret":"abc"})"),
       "platforms.generic.secret: must be at least 16 bytes", "abc"},
      {with(console, R"("generic":{"secret":""})"), "platforms.generic.secret: must not be empty",
       ""},
      {with(console, R"("x":{"consumer_secret":"x-short","bearer_token":"bt"})"),
       "platforms.x.consumer_secret: must be at least 16 bytes", "x-short"},
      {with(console, R"("meta":{"app_secret":"meta-short","verify_token":"v","page_token":"p"})"),
       "platforms.meta.app_secret: must be at least 16 bytes", "meta-short"},
      {with(
           console,
           R"("meta":{"app_secret":"meta-app-secret-32-chars-long-ok","verify_token":"","page_token":"p"})"),
       "platforms.meta.verify_token: must not be empty", ""},
      {with(console, R"("github":{"secret":"gh-short"})"),
       "platforms.github.secret: must be at least 16 bytes", "gh-short"},
      {with(console, R"("telegram":{"bot_token":"123:AAE","secret_token":"a"})"),
       "platforms.telegram.secret_token: must be at least 16 bytes", ""},
      {with(console, R"("telegram":{"bot_token":"","secret_token":"telegram-secret-token-ok"})"),
       "platforms.telegram.bot_token: must not be empty", ""},
  };
  for (const auto& c : cases) {
    auto parsed = ParseConfig(c.config, FakeEnv({}));
    REQUIRE_MESSAGE(!parsed.ok(), c.config);
    const std::string& m = parsed.status().message();
    CHECK_MESSAGE(m.find(c.error) != std::string::npos, m);
    if (c.secret.size() > 2) CHECK_MESSAGE(m.find(c.secret) == std::string::npos, m);
  }
  // 16 bytes is enough; whsec_ counts the decoded key.
  auto ok =
      ParseConfig(with(R"("chat":{"kind":"console","signing_secret":"0123456789abcdef"})",
                       R"("generic":{"secret":"whsec_MTIzNDU2Nzg5MDEyMzQ1Ng=="},)"
                       R"("github":{"secret":"0123456789abcdef"},)"
                       R"("telegram":{"bot_token":"123:AAE","secret_token":"0123456789abcdef"})"),
                  FakeEnv({}));
  CHECK_MESSAGE(ok.ok(), ok.status().message());
}

TEST_CASE("a URL with user:password@ is refused by the config and by the HTTP client") {
  auto c = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"},
      "platforms":{"generic":{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                              "reply_url":"https://bot:LEAK-password@crm.example.com/replies"}}})",
                       FakeEnv({}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("platforms.generic.reply_url: must not hold user:password@") !=
        std::string::npos);
  CHECK(c.status().message().find("LEAK") == std::string::npos);
  // The client never takes user information for a host (a host is quoted in errors).
  ParsedUrl url;
  CHECK_FALSE(ParseUrl("https://LEAK-token@crm.example.com/replies", url));
  CHECK_FALSE(ParseUrl("https://bot:LEAK@crm.example.com:8443/replies", url));
  REQUIRE(ParseUrl("https://crm.example.com:8443/replies?a=b", url));
  CHECK(url.host == "crm.example.com");
  CHECK(url.port == 8443);
}

TEST_CASE("mattermost requires team_id: without it any team could run commands") {
  auto c = ParseConfig(
      R"({"database":"x.db","chat":{"kind":"mattermost","api_base":"https://mm.example.com",
      "bot_token":"b","command_token":"tokenduplex0000000000000001","default_channel":"ch"}})",
      FakeEnv({}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("chat.team_id: required") != std::string::npos);
}

TEST_CASE("sla.routes overrides the first-response target per route, bad entries are named") {
  auto c = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"},
      "sla":{"first_response_minutes":30,"routes":{"vip":10,"slow":240},"check_seconds":5}})",
                       FakeEnv({}));
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->sla.route_minutes == std::map<std::string, int>{{"vip", 10}, {"slow", 240}});
  CHECK(c->sla.check_seconds == 5);
  auto defaults = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"}})", FakeEnv({}));
  CHECK(defaults->sla.route_minutes.empty());
  CHECK(defaults->sla.check_seconds == 15);
  auto bad = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"},
      "sla":{"routes":{"vip":0,"x":"ten","y":null}}})",
                         FakeEnv({}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("sla.routes.vip: must be between 1 and 100000") !=
        std::string::npos);
  CHECK(bad.status().message().find("sla.routes.x: must be an integer") != std::string::npos);
  CHECK(bad.status().message().find("sla.routes.y: must be an integer") != std::string::npos);
  auto not_object = ParseConfig(
      R"({"database":"x.db","chat":{"kind":"console"},"sla":{"routes":[10]}})", FakeEnv({}));
  CHECK(not_object.status().message().find("sla.routes: must be an object") != std::string::npos);
}

TEST_CASE("delivery.lease_seconds: 30 by default, 5 to 3600") {
  auto defaults = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"}})", FakeEnv({}));
  REQUIRE_MESSAGE(defaults.ok(), defaults.status().message());
  CHECK(defaults->delivery_lease_seconds == 30);
  auto set =
      ParseConfig(R"({"database":"x.db","chat":{"kind":"console"},"delivery":{"lease_seconds":5}})",
                  FakeEnv({}));
  REQUIRE_MESSAGE(set.ok(), set.status().message());
  CHECK(set->delivery_lease_seconds == 5);
  for (const char* bad : {"4", "0", "3601"}) {
    auto refused = ParseConfig(std::string(R"({"database":"x.db","chat":{"kind":"console"},)") +
                                   R"("delivery":{"lease_seconds":)" + bad + "}}",
                               FakeEnv({}));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().message().find("delivery.lease_seconds: must be between 5 and 3600") !=
          std::string::npos);
  }
}

}  // namespace duplex
