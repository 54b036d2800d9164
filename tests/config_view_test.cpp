// print-config: the effective configuration, defaults filled in, secrets never shown.
#include <doctest/doctest.h>

#include "app/config.h"
#include "app/config_view.h"
#include "platforms/registry.h"

namespace duplex {
namespace {

using nlohmann::json;

// Every secret a config can hold, each one distinctive so that a leak is unmistakable (X's
// OAuth 1.0a keys, which exclude OAuth 2.0 ones, are covered by the registry test below).
const std::map<std::string, std::string> kSecretEnv = {
    {"BOT", "xoxb-LEAK-bot-token-1"},
    {"SIGN", "LEAK-signing-secret-2"},
    {"GEN", "whsec_TEVBSy1nZW5lcmljLXNlY3JldC0z"},
    {"XCS", "LEAK-x-consumer-secret-4"},
    {"XBT", "LEAK-x-bearer-8"},
    {"XRT", "LEAK-x-refresh-9"},
    {"XCLS", "LEAK-x-client-secret-10"},
    {"MAS", "LEAK-meta-app-secret-11"},
    {"MVT", "LEAK-meta-verify-12"},
    {"MPT", "LEAK-meta-page-13"},
    {"MWT", "LEAK-meta-whatsapp-14"},
    {"TBT", "123456:LEAK-telegram-bot-15"},
    {"TST", "LEAK-telegram-secret-16"},
    {"GHS", "LEAK-github-secret-17"},
    {"GHT", "ghp_LEAK-github-token-18"},
    {"URLPW", "LEAK-url-password-19"},
};

std::optional<std::string> Env(const std::string& name) {
  auto it = kSecretEnv.find(name);
  if (it == kSecretEnv.end()) return std::nullopt;
  return it->second;
}

const char* kConfig = R"({
  "listen": {"port": 9090},
  "database": "/var/lib/duplex/duplex.db",
  "public_url": "https://duplex.acme.test",
  "chat": {"kind": "slack", "bot_token": "${BOT}", "signing_secret": "${SIGN}", "team_id": "T0001",
           "default_channel": "C0SOCIAL", "admins": ["U0ADMIN"]},
  "platforms": {
    "generic": {"secret": "${GEN}", "reply_url": "https://crm.acme.test/replies?key=${URLPW}"},
    "x": {"consumer_secret": "${XCS}", "bearer_token": "${XBT}", "refresh_token": "${XRT}",
          "client_id": "client-id-visible", "client_secret": "${XCLS}", "account_id": "123"},
    "meta": {"app_secret": "${MAS}", "verify_token": "${MVT}", "page_token": "${MPT}", "whatsapp_token": "${MWT}"},
    "telegram": {"bot_token": "${TBT}", "secret_token": "${TST}"},
    "github": {"secret": "${GHS}", "token": "${GHT}"}
  }
})";

json Printed() {
  auto config = ParseConfig(kConfig, Env);
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  json out = EffectiveConfig(*config);
  RedactSecrets(out);
  return out;
}

}  // namespace

TEST_CASE("print-config: no secret survives, wherever it sits") {
  std::string text = Printed().dump(2);
  for (const auto& [name, secret] : kSecretEnv)
    CHECK_MESSAGE(text.find(secret) == std::string::npos, name);
  CHECK(text.find("LEAK") == std::string::npos);
}

TEST_CASE("print-config: secrets read as ***, everything else as duplex runs it") {
  json out = Printed();
  CHECK(out["chat"]["bot_token"] == kRedacted);
  CHECK(out["chat"]["signing_secret"] == kRedacted);
  CHECK(out["platforms"]["x"]["bearer_token"] == kRedacted);
  CHECK(out["platforms"]["meta"]["verify_token"] == kRedacted);
  CHECK(out["platforms"]["generic"]["reply_url"] == "https://crm.acme.test/replies?key=***");
  // Not secrets: shown.
  CHECK(out["platforms"]["x"]["client_id"] == "client-id-visible");
  CHECK(out["platforms"]["x"]["account_id"] == "123");
  CHECK(out["chat"]["team_id"] == "T0001");
  // Defaults filled in.
  CHECK(out["listen"]["port"] == 9090);
  CHECK(out["listen"]["host"] == "0.0.0.0");
  CHECK(out["listen"]["max_body_bytes"] == 1048576);
  CHECK(out["database_synchronous"] == "FULL");
  CHECK(out["chat"]["api_base"] == "https://slack.com/api");
  CHECK(out["chat"]["rate_limit"]["per_second"] == 1.0);
  CHECK(out["sla"]["first_response_minutes"] == 20);
  CHECK(out["vip_followers"] == 10000);
  CHECK(out["delivery"]["threads"] == 4);
  CHECK(out["delivery"]["lease_seconds"] == 30);
}

TEST_CASE("print-config: a URL's user information and query values are masked, under any key") {
  json doc = {{"platforms",
               {{"generic",
                 {{"reply_url",
                   "https://crm.acme.test/replies?api_key=LEAK-key-1&tenant=LEAK-t&LEAKbare"}}}}},
              {"public_url", "https://LEAK-user:LEAK-pass@duplex.acme.test/x?sig=LEAK-sig#frag"},
              {"extension",
               {{"hook", "https://LEAK-token@hooks.acme.test/path"},
                {"plain", "https://crm.acme.test/a/b"},
                {"not_a_url", "api_key=visible and https://LEAK-in-text?q=1"}}}};
  RedactSecrets(doc);
  CHECK(doc["platforms"]["generic"]["reply_url"] ==
        "https://crm.acme.test/replies?api_key=***&tenant=***&***");
  CHECK(doc["public_url"] == "https://***@duplex.acme.test/x?sig=***#frag");
  CHECK(doc["extension"]["hook"] == "https://***@hooks.acme.test/path");
  CHECK(doc["extension"]["plain"] == "https://crm.acme.test/a/b");
  // Only a whole value that is a URL is read as one.
  CHECK(doc["extension"]["not_a_url"] == "api_key=visible and https://LEAK-in-text?q=1");
}

TEST_CASE("print-config: a value that came from ${VARIABLE} shows the variable, never the value") {
  const char* written = R"({
    "database": "${DB_PATH}",
    "chat": {"kind": "slack", "bot_token": "${BOT}", "signing_secret": "${SIGN}",
             "team_id": "${TEAM}", "default_channel": "C0SOCIAL", "ca_file": "${EMPTY}", "admins": ["U0ADMIN", "${ADMIN2}"]},
    "platforms": {"generic": {"secret": "${GEN}", "reply_url": "${GENERIC_REPLY_URL}"}},
    "public_url": "https://${HOST}/x?k=${KEY}"
  })";
  const std::map<std::string, std::string> env = {
      {"DB_PATH", "/srv/LEAK-db-path.db"},
      {"BOT", "xoxb-LEAK-bot-token-1"},
      {"SIGN", "LEAK-signing-secret-2"},
      {"TEAM", "T0LEAKTEAM"},
      {"ADMIN2", "U0LEAKADMIN"},
      {"GEN", "whsec_TEVBSy1nZW5lcmljLXNlY3JldC0z"},
      {"GENERIC_REPLY_URL", "https://crm.acme.test/replies?api_key=LEAK-api-key"},
      {"HOST", "LEAK-host.test"},
      {"KEY", "LEAK-k"},
      {"EMPTY", ""}};
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto config = ParseConfig(written, lookup);
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  json unexpanded = json::parse(written);
  json out = EffectiveConfig(*config);
  RedactSecrets(out);
  RedactEnvValues(out, unexpanded);

  CHECK(out["platforms"]["generic"]["reply_url"] == "***(from ${GENERIC_REPLY_URL})");
  CHECK(out["database"] == "***(from ${DB_PATH})");
  CHECK(out["chat"]["bot_token"] == "***(from ${BOT})");
  CHECK(out["chat"]["team_id"] == "***(from ${TEAM})");
  CHECK(out["chat"]["admins"] == json::array({"U0ADMIN", "***(from ${ADMIN2})"}));
  CHECK(out["public_url"] == "***(from ${HOST}, ${KEY})");
  CHECK(out["chat"]["ca_file"] == "");
  CHECK(out["chat"]["default_channel"] == "C0SOCIAL");
  CHECK(out.dump().find("LEAK") == std::string::npos);
}

TEST_CASE("print-config: Mattermost command tokens (a list) and empty secrets") {
  json doc = {
      {"chat",
       {{"kind", "mattermost"}, {"command_token", {"mm-LEAK-1", "mm-LEAK-2"}}, {"bot_token", ""}}}};
  RedactSecrets(doc);
  CHECK(doc["chat"]["command_token"] == json::array({kRedacted, kRedacted}));
  CHECK(doc["chat"]["bot_token"] == "");  // unset stays visibly unset
}

TEST_CASE("print-config: every key a platform lists as secret is masked") {
  for (const auto& entry : KnownPlatforms()) {
    json doc = {{"platforms", {{entry.name, json::object()}}}};
    for (const auto& key : entry.secret_keys) doc["platforms"][entry.name][key] = "LEAK-" + key;
    RedactSecrets(doc);
    CHECK_MESSAGE(doc.dump().find("LEAK") == std::string::npos, entry.name);
  }
}

TEST_CASE("check-config: every platform reports the keys it cannot run without") {
  for (const auto& entry : KnownPlatforms()) {
    std::vector<std::string> errors;
    auto connector = entry.factory(json::object(), "platforms." + entry.name, errors, nullptr);
    REQUIRE_MESSAGE(!errors.empty(), entry.name);
    for (const auto& e : errors) {
      CHECK_MESSAGE(e.rfind("platforms." + entry.name, 0) == 0, e);
    }
    CHECK_MESSAGE(errors[0].find("required") != std::string::npos, errors[0]);
  }
}

}  // namespace duplex
