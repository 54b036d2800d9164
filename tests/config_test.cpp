#include <doctest/doctest.h>

#include "app/config.h"

namespace duplex {

namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

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
                                          {"SLACK_SIGNING_SECRET", "sign-secret-2"},
                                          {"GENERIC_WEBHOOK_SECRET", "whsec_c2VjcmV0"}}));
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->chat.bot_token == "xoxb-secret-1");
  CHECK(c->chat.signing_secret == "sign-secret-2");
  CHECK(c->chat.api_base == "https://slack.com/api");
  CHECK(c->listen.host == "0.0.0.0");
  CHECK(c->listen.max_body_bytes == 1048576);
  CHECK(c->chat.rate_limit.per_second == 1.0);
  CHECK(c->sla.first_response_minutes == 20);
  CHECK(c->vip_followers == 10000);
  CHECK(c->platforms["generic"]["secret"] == "whsec_c2VjcmV0");
}

TEST_CASE("an unset environment variable is reported with its JSON path, not a value") {
  auto c = ParseConfig(kMinimal, FakeEnv({{"SLACK_BOT_TOKEN", "xoxb-secret-1"}}));
  REQUIRE_FALSE(c.ok());
  const std::string& m = c.status().message();
  CHECK(m.find("chat.signing_secret: environment variable SLACK_SIGNING_SECRET is not set") != std::string::npos);
  CHECK(m.find("platforms.generic.secret: environment variable GENERIC_WEBHOOK_SECRET is not set") !=
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
  })", FakeEnv({}));
  REQUIRE_FALSE(c.ok());
  const std::string& m = c.status().message();
  for (const char* expected :
       {"listen.port: must be an integer", "listen.max_body_bytes: must be between", "database: required",
        "chat.bot_token: required", "chat.signing_secret: required", "chat.team_id: must be a string",
        "chat.default_channel: required", "platforms.generic.secret: required",
        "platforms.generic.reply_url: must be an http:// or https:// URL",
        "platforms.myspace: unknown platform", "sla.first_response_minutes: must be between"}) {
    CHECK_MESSAGE(m.find(expected) != std::string::npos, expected);
  }
}

TEST_CASE("config-level refusals: not JSON, not an object, unknown chat kind, TLS half set, PostgreSQL") {
  CHECK(ParseConfig("{", FakeEnv({})).status().message() == "config: not valid JSON");
  CHECK(ParseConfig("[]", FakeEnv({})).status().message() == "config: the top level must be a JSON object");
  auto c = ParseConfig(R"({"database":"postgresql://db/duplex","chat":{"kind":"irc"},"listen":{"tls_cert":"c.pem"}})",
                       FakeEnv({}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("chat.kind: must be") != std::string::npos);
  CHECK(c.status().message().find("listen.tls_key: tls_cert and tls_key go together") != std::string::npos);
  CHECK(c.status().message().find("database: PostgreSQL is not supported yet") != std::string::npos);
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

TEST_CASE("console chat needs no Slack credentials") {
  auto c = ParseConfig(R"({"database":"x.db","chat":{"kind":"console"}})", FakeEnv({}));
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->chat.default_channel == "console");
  CHECK(c->platforms.empty());
}

TEST_CASE("mattermost accepts one command token or a list") {
  auto one = ParseConfig(R"({"database":"x.db","chat":{"kind":"mattermost","api_base":"https://mm.example.com",
      "bot_token":"b","command_token":"t1","default_channel":"ch"}})", FakeEnv({}));
  REQUIRE_MESSAGE(one.ok(), one.status().message());
  CHECK(one->chat.command_tokens == std::vector<std::string>{"t1"});
  auto list = ParseConfig(R"({"database":"x.db","chat":{"kind":"mattermost","api_base":"https://mm.example.com",
      "bot_token":"b","command_token":["t1","t2"],"default_channel":"ch"}})", FakeEnv({}));
  REQUIRE(list.ok());
  CHECK(list->chat.command_tokens.size() == 2);
  auto none = ParseConfig(R"({"database":"x.db","chat":{"kind":"mattermost","api_base":"https://mm.example.com",
      "bot_token":"b","default_channel":"ch"}})", FakeEnv({}));
  CHECK(none.status().message().find("chat.command_token: required") != std::string::npos);
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

}  // namespace duplex
